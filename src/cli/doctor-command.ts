import { DEV_CREDENTIALS } from '../dev/credentials';
import { checkFlags, type ParsedArgs, stringFlag, UsageError } from './args';
import { diagnoseSimTestDelivery } from './doctor-sim-diagnosis';
import { type DoctorRow, renderDoctorTable } from './doctor-table';
import { isLoopbackUrl } from './loopback';

export const DOCTOR_USAGE =
  'bollard doctor [--url http://127.0.0.1:8787] [--admin-token T] [--sim URL] [--sim-admin-key K] [--no-test-event] [--json]';

/** What `GET /admin/doctor` answers (src/admin/doctor/run.ts). */
interface DoctorReport {
  auth_mode: string;
  upstream: { base_url: string };
  webhook: { receiver_url: string; workflow_id: string | null };
  /** Absent from a Bollard that predates receipts. */
  receipts?: { kid: string | null; public_jwk: Record<string, unknown> | null; jwks_path: string };
  checks: DoctorRow[];
}

/** What `POST /admin/doctor/webhook-test` answers (src/admin/doctor/test-event.ts). */
interface TestEventAnswer {
  unsupported: boolean;
  workflow_id: string | null;
  check: DoctorRow;
}

export interface DoctorDeps {
  fetch?: typeof fetch;
  /** Where `BOLLARD_URL`, `BOLLARD_ADMIN_TOKEN`, `SIM_ADMIN_KEY` are read from. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Table width (default: the terminal's, else 100). */
  width?: number;
}

const row = (check: string, ok: boolean, detail: string, fix: string | null = null): DoctorRow => ({
  check,
  ok,
  detail,
  fix: ok ? null : fix,
});

function isReport(v: unknown): v is DoctorReport {
  return typeof v === 'object' && v !== null && Array.isArray((v as DoctorReport).checks);
}

function publicUrlRow(url: string): DoctorRow {
  if (isLoopbackUrl(url)) return row('public_url', true, `${url} is on loopback (development)`);
  if (url.startsWith('https://')) return row('public_url', true, `${url} is https`);
  return row(
    'public_url',
    false,
    `${url} is plain http: Checkout.com delivers webhooks, and browsers send shoppers, over https`,
    'serve Bollard over https (workers.dev and custom domains are)',
  );
}

/** What runs on this machine needs no secret; the rest comes from Bollard's `GET /admin/doctor`. */
async function collect(
  url: string,
  adminToken: string,
  args: ParsedArgs,
  deps: Required<Pick<DoctorDeps, 'fetch'>> & DoctorDeps,
  env: Readonly<Record<string, string | undefined>>,
): Promise<DoctorRow[]> {
  const rows = [publicUrlRow(url)];
  const f = deps.fetch;
  const health = await f(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) }).catch(() => null);
  const healthBody = health?.ok
    ? ((await health.json().catch(() => null)) as { service?: string; environment?: string } | null)
    : null;
  if (!health || healthBody?.service !== 'bollard') {
    rows.push(
      row(
        'reachable',
        false,
        health ? `${url}/healthz answered ${health.status}, not Bollard` : `nothing answers at ${url}`,
        isLoopbackUrl(url)
          ? 'start it: npm start'
          : 'check --url and that the Worker is deployed (npm run deploy)',
      ),
    );
    return rows;
  }
  rows.push(
    row('reachable', true, `Bollard answers at ${url} (environment ${healthBody.environment ?? '?'})`),
  );

  const auth = { Authorization: `Bearer ${adminToken}` };
  const res = await f(`${url}/admin/doctor?url=${encodeURIComponent(url)}`, {
    headers: auth,
    signal: AbortSignal.timeout(60_000),
  }).catch(() => null);
  if (res?.status === 401) {
    rows.push(
      row(
        'admin_token',
        false,
        'Bollard refused the admin token',
        'pass --admin-token or set BOLLARD_ADMIN_TOKEN to its ADMIN_TOKEN',
      ),
    );
    return rows;
  }
  const report: unknown = res?.ok ? await res.json().catch(() => null) : null;
  if (!isReport(report)) {
    rows.push(
      row(
        'admin_token',
        false,
        `GET /admin/doctor answered ${res ? res.status : 'nothing'}`,
        'this Bollard may predate the doctor: deploy the current version',
      ),
    );
    return rows;
  }
  rows.push(
    row('admin_token', true, `accepted; auth mode ${report.auth_mode}, upstream ${report.upstream.base_url}`),
  );
  rows.push(...report.checks);
  if (report.receipts?.public_jwk) rows.push(await servedJwksRow(url, report.receipts, f));
  if (args.flags.has('no-test-event')) return rows;
  rows.push(await testEvent(url, adminToken, report, args, deps, env));
  return rows;
}

/**
 * The JWKS Bollard serves to everyone, fetched as an auditor would (no credential), holds the key Bollard
 * signs with now: same kid, same public key, and no private member.
 */
async function servedJwksRow(
  url: string,
  receipts: NonNullable<DoctorReport['receipts']>,
  f: typeof fetch,
): Promise<DoctorRow> {
  const jwksUrl = `${url}${receipts.jwks_path}`;
  const res = await f(jwksUrl, { signal: AbortSignal.timeout(10_000) }).catch(() => null);
  const doc = res?.ok ? ((await res.json().catch(() => null)) as { keys?: unknown } | null) : null;
  const keys = Array.isArray(doc?.keys) ? (doc.keys as Array<Record<string, unknown>>) : null;
  if (!keys)
    return row(
      'receipt_jwks',
      false,
      `${jwksUrl} answered ${res ? res.status : 'nothing'}`,
      'deploy the current version',
    );
  if (keys.some((k) => 'd' in k))
    return row(
      'receipt_jwks',
      false,
      `${jwksUrl} publishes a private key member`,
      'rotate the key now (docs/operations.md, "Receipt keys")',
    );
  const want = receipts.public_jwk ?? {};
  const served = keys.find((k) => k.kid === receipts.kid);
  const same = served !== undefined && ['kty', 'crv', 'x', 'y'].every((m) => served[m] === want[m]);
  return same
    ? row(
        'receipt_jwks',
        true,
        `${jwksUrl} serves kid ${receipts.kid} (${keys.length} key${keys.length === 1 ? '' : 's'}), matching the signing key`,
      )
    : row(
        'receipt_jwks',
        false,
        `${jwksUrl} does not serve the signing key (kid ${receipts.kid})`,
        'a cache or proxy in front of Bollard serves an old JWKS: purge it, or check --url',
      );
}

/**
 * The test event goes the real path on every upstream: Bollard sends it through the workflow with the
 * API's `POST /workflows/{id}/test` and waits for it in its inbox. Where the endpoint does not exist
 * (production: it is sandbox only) nothing is sent and the row is skipped. When it failed against the
 * simulator, the simulator's deliveries log (admin key) says why.
 */
async function testEvent(
  url: string,
  adminToken: string,
  report: DoctorReport,
  args: ParsedArgs,
  deps: Required<Pick<DoctorDeps, 'fetch'>> & DoctorDeps,
  env: Readonly<Record<string, string | undefined>>,
): Promise<DoctorRow> {
  const res = await deps
    .fetch(`${url}/admin/doctor/webhook-test`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ url }),
      signal: AbortSignal.timeout(60_000),
    })
    .catch(() => null);
  const answer = res?.ok ? ((await res.json().catch(() => null)) as TestEventAnswer | null) : null;
  if (!answer?.check) {
    return row(
      'webhook_test_event',
      false,
      `POST /admin/doctor/webhook-test answered ${res ? res.status : 'nothing'}`,
      'run the doctor again',
    );
  }
  if (answer.unsupported) {
    return {
      check: 'webhook_test_event',
      ok: true,
      skipped: true,
      detail: `${answer.check.detail}; nothing was sent`,
      fix: null,
    };
  }
  if (answer.check.ok || !answer.workflow_id) return answer.check;
  const simUrl = (
    stringFlag(args, 'sim') ?? (isLoopbackUrl(report.upstream.base_url) ? report.upstream.base_url : '')
  ).replace(/\/+$/, '');
  const simAdminKey =
    stringFlag(args, 'sim-admin-key') ??
    env.SIM_ADMIN_KEY ??
    (isLoopbackUrl(simUrl) ? DEV_CREDENTIALS.simAdminKey : undefined);
  if (!simUrl || !simAdminKey) return answer.check;
  const why = await diagnoseSimTestDelivery({
    simUrl,
    simAdminKey,
    workflowId: answer.workflow_id,
    receiverUrl: report.webhook.receiver_url,
    fetch: deps.fetch,
  });
  return why ?? answer.check;
}

/**
 * `bollard doctor`: checks a running Bollard (local or deployed) and prints one row per check with a fix
 * for each failure; exits 1 when any check fails. The checks that need Bollard's secrets run inside
 * Bollard (`GET /admin/doctor`, admin token); this command adds only what needs none — the URL, that
 * Bollard answers — and, against the simulator, why a test event did not arrive.
 */
export async function doctorCommand(
  args: ParsedArgs,
  out: (s: string) => void,
  deps: DoctorDeps = {},
): Promise<number> {
  checkFlags(args, ['url', 'admin-token', 'sim', 'sim-admin-key'], ['no-test-event', 'json']);
  if (args.positionals.length > 0) throw new UsageError('doctor takes no positional arguments');
  const env = deps.env ?? process.env;
  const rawUrl = stringFlag(args, 'url') ?? env.BOLLARD_URL ?? 'http://127.0.0.1:8787';
  let url: string;
  try {
    const u = new URL(rawUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    url = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    throw new UsageError(`--url must be Bollard's absolute http(s) URL, got "${rawUrl}"`);
  }
  const adminToken =
    stringFlag(args, 'admin-token') ??
    env.BOLLARD_ADMIN_TOKEN ??
    (isLoopbackUrl(url) ? DEV_CREDENTIALS.adminToken : undefined);
  if (!adminToken)
    throw new UsageError(
      '--admin-token (or BOLLARD_ADMIN_TOKEN) is required for a Bollard that is not on loopback',
    );
  const rows = await collect(url, adminToken, args, { ...deps, fetch: deps.fetch ?? fetch }, env);
  const failed = rows.some((r) => !r.ok);
  if (args.flags.has('json')) {
    out(JSON.stringify({ ok: !failed, url, checks: rows }, null, 2));
  } else {
    out(`Bollard doctor: ${url}\n\n${renderDoctorTable(rows, deps.width ?? terminalWidth())}`);
  }
  return failed ? 1 : 0;
}

function terminalWidth(): number {
  const cols = typeof process !== 'undefined' ? process.stdout?.columns : undefined;
  return cols && cols > 60 ? Math.min(cols, 160) : 100;
}
