import { EVENTS } from '../catalog';
import { DEV_CREDENTIALS } from '../dev/credentials';
import { checkFlags, type ParsedArgs, stringFlag, UsageError } from './args';
import { isLoopbackUrl } from './loopback';

export const WEBHOOKS_USAGE =
  'bollard webhooks register --url <public url> [--api-base URL] [--secret-key sk_...] [--name NAME] [--events a,b] [--auth-header] [--json]';

/** The receiver's path on Bollard. */
export const RECEIVER_PATH = '/webhooks/checkout';

export interface RegisterOptions {
  /** Checkout.com API base (or the simulator's). */
  apiBase: string;
  secretKey: string;
  /** Bollard's public URL, or the receiver URL itself. */
  url: string;
  /** The workflow action's `signature.key`: Bollard's WEBHOOK_SIGNING_KEYS must contain it. */
  signingKey: string;
  /** Also send `Authorization: <value>` with every delivery (WEBHOOK_AUTH_HEADER_VALUE). */
  authHeaderValue?: string;
  name?: string;
  /** Event types to subscribe to (default: the guide's ten). */
  events?: readonly string[];
  fetch?: typeof fetch;
}

export interface Registered {
  workflowId: string;
  receiverUrl: string;
  events: string[];
}

/** `https://x.example` → `https://x.example/webhooks/checkout`; a URL already ending in the path is kept. */
export function receiverUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--url must be an absolute URL, got "${url}"`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new UsageError('--url must be http(s)');
  const path = u.pathname.replace(/\/+$/, '');
  u.pathname = path.endsWith(RECEIVER_PATH) ? path : `${path}${RECEIVER_PATH}`;
  return u.href;
}

/** A fresh signing key: 32 random bytes, base64url, with a recognisable prefix. */
export function newSigningKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')}`;
}

/**
 * Creates a webhook workflow with `POST /workflows` (facts §4.11): an event condition with the guide's
 * event types grouped as the API expects (`gateway`, `dispute`) and one webhook action signed with
 * HMACSHA256 under `signingKey`.
 */
export async function registerWebhookWorkflow(o: RegisterOptions): Promise<Registered> {
  const doFetch = o.fetch ?? fetch;
  const target = receiverUrl(o.url);
  const chosen = o.events ?? EVENTS.map((e) => e.type);
  const group = (t: string) => (t.startsWith('dispute_') ? 'dispute' : 'gateway');
  const events: Record<string, string[]> = {};
  for (const t of chosen) events[group(t)] = [...(events[group(t)] ?? []), t];
  const action: Record<string, unknown> = {
    type: 'webhook',
    url: target,
    signature: { method: 'HMACSHA256', key: o.signingKey },
  };
  if (o.authHeaderValue) action.headers = { Authorization: o.authHeaderValue };
  const apiBase = o.apiBase.replace(/\/+$/, '');
  let res: Response;
  try {
    res = await doFetch(`${apiBase}/workflows`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${o.secretKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: o.name ?? 'Bollard webhook receiver',
        active: true,
        conditions: [{ type: 'event', events }],
        actions: [action],
      }),
    });
  } catch {
    throw new Error(`cannot reach ${apiBase}`);
  }
  const body = (await res.json().catch(() => ({}))) as { id?: unknown; error_codes?: unknown };
  if (res.status !== 201 || typeof body.id !== 'string') {
    const codes = Array.isArray(body.error_codes) ? ` (${body.error_codes.join(', ')})` : '';
    throw new Error(`POST ${apiBase}/workflows answered ${res.status}${codes}`);
  }
  return { workflowId: body.id, receiverUrl: target, events: [...chosen] };
}

/**
 * `bollard webhooks register`: registers Bollard's receiver as a workflow with a fresh signing key and
 * prints the `wrangler secret put` commands that give Bollard the key. Works against the simulator (the
 * default) and the real API (`--api-base https://{prefix}.api.sandbox.checkout.com --secret-key sk_...`).
 */
export async function webhooksCommand(
  args: ParsedArgs,
  out: (s: string) => void,
  fetchImpl?: typeof fetch,
): Promise<number> {
  checkFlags(args, ['url', 'api-base', 'secret-key', 'name', 'events'], ['auth-header', 'json']);
  const [sub, ...extra] = args.positionals;
  if (sub !== 'register' || extra.length > 0) throw new UsageError('the only subcommand is "register"');
  const url = stringFlag(args, 'url');
  if (!url) throw new UsageError('--url is required (Bollard’s public URL)');
  const apiBase = stringFlag(args, 'api-base') ?? process.env.CHECKOUT_API_BASE ?? 'http://127.0.0.1:8788';
  const secretKey =
    stringFlag(args, 'secret-key') ??
    process.env.CHECKOUT_SECRET_KEY ??
    (isLoopbackUrl(apiBase) ? DEV_CREDENTIALS.secretKey : undefined);
  if (!secretKey) throw new UsageError('--secret-key (or CHECKOUT_SECRET_KEY) is required for a real API');
  const eventsFlag = stringFlag(args, 'events');
  const events = eventsFlag
    ?.split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (events?.some((e) => !/^[a-z][a-z0-9_]*$/.test(e)))
    throw new UsageError('--events: comma-separated event types');

  const signingKey = newSigningKey();
  const authHeaderValue = args.flags.has('auth-header')
    ? newSigningKey().replace('whsec_', 'wha_')
    : undefined;
  const registered = await registerWebhookWorkflow({
    apiBase,
    secretKey,
    url,
    signingKey,
    authHeaderValue,
    name: stringFlag(args, 'name'),
    events,
    fetch: fetchImpl,
  });

  if (args.flags.has('json')) {
    out(
      JSON.stringify(
        {
          workflow_id: registered.workflowId,
          receiver_url: registered.receiverUrl,
          events: registered.events,
          secrets: {
            WEBHOOK_SIGNING_KEYS: signingKey,
            ...(authHeaderValue ? { WEBHOOK_AUTH_HEADER_VALUE: authHeaderValue } : {}),
          },
        },
        null,
        2,
      ),
    );
    return 0;
  }
  const lines = [
    `Registered workflow ${registered.workflowId} on ${apiBase}`,
    `  delivers ${registered.events.length} event types to ${registered.receiverUrl}`,
    '',
    'Give Bollard the signing key (shown only now; it is not stored anywhere else):',
    `  printf '%s' '${signingKey}' | npx wrangler secret put WEBHOOK_SIGNING_KEYS`,
  ];
  if (authHeaderValue) {
    lines.push(`  printf '%s' '${authHeaderValue}' | npx wrangler secret put WEBHOOK_AUTH_HEADER_VALUE`);
  }
  lines.push(
    '',
    'Rotating? Put the old and the new key, comma-separated, until the old workflow is deleted:',
    `  printf '%s' '<old key>,${signingKey}' | npx wrangler secret put WEBHOOK_SIGNING_KEYS`,
    'For `wrangler dev`, put the same value in .dev.vars (WEBHOOK_SIGNING_KEYS=...).',
  );
  out(lines.join('\n'));
  return 0;
}
