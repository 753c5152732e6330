import { compactVerify, createLocalJWKSet } from 'jose';
import { auditIndex } from '../../agents/objects/stubs';
import type { ArchiveSummary } from '../../agents/proof/archive-ledger';
import type { PublicJwk } from '../../agents/proof/jwk';
import {
  currentJwks,
  isDevelopment,
  loadSigner,
  previousKeys,
  publicUrl,
  signCompact,
} from '../../agents/proof/signer';
import { withTimeout } from '../../http/timeout';
import { type DoctorCheck, fail, pass } from './types';

/** What `GET /admin/doctor` reports about receipts, for the CLI to compare with the JWKS Bollard serves. */
export interface ReceiptKeyReport {
  kid: string | null;
  /** The public key receipts are signed with now (public members only). */
  public_jwk: PublicJwk | null;
  jwks_path: string;
}

/** Past this much archive lag (two missed hourly runs and some), the doctor fails. */
export const ARCHIVE_LAG_FAIL_SECONDS = 3 * 60 * 60;

const PUT_KEY =
  'generate one (docs/operations.md, "Receipt keys"), then wrangler secret put RECEIPT_SIGNING_KEY (locally: .dev.vars)';

/**
 * The receipt signing key: set (or, in development, generated), usable (a test receipt signs and verifies
 * against the JWKS Bollard builds), the previous keys well-formed, and the issuer Bollard's public URL. A
 * deployment that is not on loopback without the secret fails: its agent answers carry no receipt.
 */
export async function receiptKeyCheck(
  env: Env,
  doctorUrl: string,
): Promise<{ check: DoctorCheck; report: ReceiptKeyReport }> {
  const report: ReceiptKeyReport = { kid: null, public_jwk: null, jwks_path: '/.well-known/jwks.json' };
  const state = await loadSigner(env).catch(() => null);
  if (state === null)
    return {
      check: fail('receipts', 'the development key could not be read or stored in KV', 'check OAUTH_TOKENS'),
      report,
    };
  if (state.kind === 'missing')
    return {
      check: fail(
        'receipts',
        'missing: RECEIPT_SIGNING_KEY — agent answers carry no receipt and the audit archive cannot sign its heads',
        PUT_KEY,
      ),
      report,
    };
  if (state.kind === 'invalid') return { check: fail('receipts', state.problem, PUT_KEY), report };
  const { signer } = state;
  report.kid = signer.kid;
  report.public_jwk = signer.publicJwk;

  const previous = previousKeys(env);
  if (!previous.ok)
    return {
      check: fail(
        'receipts',
        `RECEIPT_PREVIOUS_PUBLIC_KEYS is malformed (${previous.problem}); only the current key is published`,
        'set it to a JSON array of public JWKs, each with kid and verify_until (docs/operations.md, "Receipt keys")',
      ),
      report,
    };
  // A round trip through the published keys: what an auditor will do with a receipt.
  const jwks = await currentJwks(env);
  try {
    const jws = await signCompact(signer, { doctor: true }, 'bollard-doctor+jwt');
    await compactVerify(jws, createLocalJWKSet(jwks));
  } catch {
    return {
      check: fail(
        'receipts',
        `a receipt signed with kid ${signer.kid} does not verify against the JWKS`,
        PUT_KEY,
      ),
      report,
    };
  }
  const configured = publicUrl(env);
  if (!configured)
    return {
      check: fail(
        'receipts',
        'BOLLARD_PUBLIC_URL is not set: receipts and archive heads name no issuer',
        'set BOLLARD_PUBLIC_URL in wrangler.toml [vars] to this deployment’s https URL',
      ),
      report,
    };
  if (!isDevelopment(env) && configured !== doctorUrl.replace(/\/+$/, ''))
    return {
      check: fail(
        'receipts',
        `receipts name ${configured} as their issuer, but Bollard is checked at ${doctorUrl}`,
        'set BOLLARD_PUBLIC_URL in wrangler.toml [vars] to the URL agents and auditors use',
      ),
      report,
    };
  const now = Date.now();
  const expired = previous.value.filter((k) => Date.parse(k.verify_until) <= now).length;
  const source =
    signer.source === 'secret'
      ? 'RECEIPT_SIGNING_KEY'
      : 'a development key generated and kept in KV (set RECEIPT_SIGNING_KEY before deploying)';
  const served = jwks.keys.length;
  return {
    check: pass(
      'receipts',
      `${source}: ${signer.alg} kid ${signer.kid}, issuer ${configured}; a test signature verifies against the JWKS (${served} key${served === 1 ? '' : 's'}${expired ? `; ${expired} previous key${expired === 1 ? '' : 's'} past verify_until, no longer published: remove from RECEIPT_PREVIOUS_PUBLIC_KEYS` : ''})`,
    ),
    report,
  };
}

/**
 * The audit archive: the R2 bucket is bound, and the archive keeps up (no chain's oldest unarchived entry
 * older than `ARCHIVE_LAG_FAIL_SECONDS`, no problem in the last run). In development no Cron Trigger runs,
 * so lag is reported, not failed.
 */
export async function archiveCheck(env: Env): Promise<DoctorCheck> {
  if (!(env as Partial<Pick<Env, 'AUDIT_ARCHIVE'>>).AUDIT_ARCHIVE)
    return fail(
      'audit_archive',
      'the R2 bucket AUDIT_ARCHIVE is not bound: nothing is archived, and the audit log is never pruned',
      'create the bucket (wrangler r2 bucket create), bind it as AUDIT_ARCHIVE and deploy (docs/operations.md, "Audit archive")',
    );
  let summary: ArchiveSummary;
  try {
    ({ summary } = await withTimeout<{ summary: ArchiveSummary }>(
      auditIndex(env).archiveStatus(0),
      5_000,
      () => new Error('timeout'),
    ));
  } catch {
    return fail('audit_archive', 'the audit index did not answer', 'run the doctor again');
  }
  const report = summary.last_run?.report as { problems?: Array<{ chain: string; problem: string }> } | null;
  const problems = report?.problems ?? [];
  const lastRun = summary.last_run?.finished_at ?? 'never';
  const state = `${summary.archived_chains}/${summary.chains} chains archived, ${summary.lag_entries} entries behind (oldest ${summary.max_lag_seconds} s), last run ${lastRun}`;
  if (problems.length > 0)
    return fail(
      'audit_archive',
      `${state}; the last run reported ${problems
        .slice(0, 5)
        .map((p) => `${p.problem} in ${p.chain}`)
        .join(', ')}`,
      'GET /admin/audit/archive shows each chain; verify the chain (GET /admin/audit/verify?agent=) before anything else',
    );
  if (summary.max_lag_seconds > ARCHIVE_LAG_FAIL_SECONDS && !isDevelopment(env))
    return fail(
      'audit_archive',
      `${state}: the archive is behind`,
      'check the Cron Trigger (wrangler triggers) and run POST /admin/audit/archive',
    );
  return pass(
    'audit_archive',
    isDevelopment(env)
      ? `${state} (development: no Cron Trigger runs here; POST /admin/audit/archive archives now)`
      : state,
  );
}
