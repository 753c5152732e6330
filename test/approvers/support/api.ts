import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { webauthn } from '../../../src/approvers/webauthn';
import { loadOperator } from '../../../src/operator/routes';
import worker from '../../../workers/bollard/index';
import { type RequestOptions, SoftAuthenticator } from './soft-authenticator';

/** Passkeys need a host name as the RP id (an IP address is refused), so these tests use `localhost`. */
export const ORIGIN = 'http://localhost:8787';

/**
 * Loads the operator module and the WebAuthn library once, ahead of the tests (from source, the test pool
 * transforms a few hundred modules on first use: seconds on a busy machine, past a test's own timeout).
 */
export async function warmUp(): Promise<void> {
  await loadOperator();
  await webauthn();
}

/** Through the Worker's own fetch, as deployed, with the admin token (and `overrides` on the env). */
export async function call(
  path: string,
  init: { method?: string; body?: unknown; base?: string; headers?: Record<string, string> } = {},
  overrides: Partial<Record<keyof Env, string>> = {},
): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`${init.base ?? ORIGIN}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        authorization: `Bearer ${env.ADMIN_TOKEN}`,
        'content-type': 'application/json',
        ...init.headers,
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    }),
    { ...env, ...overrides } as Env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

export interface Approver {
  id: string;
  name: string;
  authenticator: SoftAuthenticator;
}

export interface RegistrationOptionsAnswer {
  approver_id: string;
  registration: {
    challenge: string;
    rp: { id: string; name: string };
    user: { id: string; name: string; displayName: string };
    authenticatorSelection: { residentKey: string; userVerification: string };
    excludeCredentials: Array<{ id: string }>;
    attestation: string;
  };
  enrollment: string;
}

/** Options, a fresh software passkey's registration, and the answer to `POST /admin/approvers`. */
export async function startRegistration(
  name: string,
  overrides: Partial<Record<keyof Env, string>> = {},
): Promise<{ res: Response; authenticator: SoftAuthenticator; options: RegistrationOptionsAnswer }> {
  const authenticator = await SoftAuthenticator.create();
  const options = await json<RegistrationOptionsAnswer>(
    await call('/admin/approvers/registration-options', { body: { name } }, overrides),
  );
  const registration = await authenticator.register(options.registration, ORIGIN);
  const res = await call('/admin/approvers', { body: { name, registration } }, overrides);
  return { res, authenticator, options };
}

/** Registers an approver with a fresh software passkey; once approvers exist, `sponsor` consents. */
export async function register(
  name: string,
  sponsor?: Approver,
  overrides: Partial<Record<keyof Env, string>> = {},
): Promise<Approver> {
  const { res, authenticator, options } = await startRegistration(name, overrides);
  const id = options.approver_id;
  if (res.status === 201) return { id, name, authenticator };
  if (res.status !== 202 || !sponsor)
    throw new Error(`registration failed: ${res.status} ${await res.text()}`);
  const consent = await challenge(id, 'sponsor', sponsor);
  const assertion = await sponsor.authenticator.assert(consent, ORIGIN);
  const done = await call(`/admin/approvers/${id}/sponsor`, { body: { approver_id: sponsor.id, assertion } });
  if (done.status !== 201) throw new Error(`consent failed: ${done.status} ${await done.text()}`);
  return { id, name, authenticator };
}

/** Request options for `purpose` on approver `id`, answered by `by`. */
export async function challenge(
  id: string,
  purpose: 'sponsor' | 'test' | 'remove',
  by: Approver,
): Promise<RequestOptions> {
  const res = await call(`/admin/approvers/${id}/challenge`, { body: { approver_id: by.id, purpose } });
  if (res.status !== 200) throw new Error(`challenge failed: ${res.status} ${await res.text()}`);
  return json<RequestOptions>(res);
}
