import { type Surface, upstreamTiming } from '../../checkout/from-env';
import { DEFAULT_SETTINGS } from '../../ratelimit/settings';
import { type DoctorCheck, fail, pass } from './types';

/** The account-wide limits the API guide states (facts §7): 100 reads/s and 100 writes/s. */
export const ACCOUNT_READS_PER_SECOND = 100;
export const ACCOUNT_WRITES_PER_SECOND = 100;

const SURFACES: readonly Surface[] = ['storefront', 'webhooks', 'agents', 'admin'];

/** A positive number, or null for anything the governor would silently replace with its default. */
function positive(raw: string | undefined): number | null {
  if (raw === undefined || raw.trim() === '') return null;
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 ? n : null;
}

/**
 * The governor's budgets against the account's limits, and its longest wait against each surface's
 * upstream deadline: a call that waited the whole `RATE_LIMIT_MAX_WAIT_MS` for its slot must still have
 * time for one full attempt, or it can only ever end as a timeout.
 */
export function rateLimitsCheck(env: Env): DoctorCheck {
  const problems: string[] = [];
  const fixes: string[] = [];
  const budget = (name: string, raw: string | undefined, limit: number): number | null => {
    if (raw === undefined || raw === '') return limit;
    const n = positive(raw);
    if (n === null) {
      problems.push(`${name}="${raw}" is not a positive number (the governor falls back to ${limit})`);
      fixes.push(`set ${name} to a positive number`);
    } else if (n > limit) {
      problems.push(`${name}=${n} exceeds the account limit of ${limit}/s: upstream 429s`);
      fixes.push(`lower ${name} to ${limit} (or to the limit Checkout.com gave the account)`);
    }
    return n;
  };
  const reads = budget(
    'RATE_LIMIT_READS_PER_SECOND',
    env.RATE_LIMIT_READS_PER_SECOND,
    ACCOUNT_READS_PER_SECOND,
  );
  const writes = budget(
    'RATE_LIMIT_WRITES_PER_SECOND',
    env.RATE_LIMIT_WRITES_PER_SECOND,
    ACCOUNT_WRITES_PER_SECOND,
  );
  const waitRaw = env.RATE_LIMIT_MAX_WAIT_MS;
  const maxWait = waitRaw === undefined || waitRaw === '' ? DEFAULT_SETTINGS.maxWaitMs : positive(waitRaw);
  if (maxWait === null) {
    problems.push(`RATE_LIMIT_MAX_WAIT_MS="${waitRaw}" is not a positive number`);
    fixes.push('set RATE_LIMIT_MAX_WAIT_MS to a positive number of milliseconds');
  } else {
    const tight = SURFACES.map((s) => ({ s, t: upstreamTiming(env, s) })).filter(
      ({ t }) => maxWait + t.attemptTimeoutMs > t.deadlineMs,
    );
    for (const { s, t } of tight) {
      problems.push(
        `RATE_LIMIT_MAX_WAIT_MS=${maxWait} leaves ${s} no full attempt (${t.attemptTimeoutMs} ms) inside its ${t.deadlineMs} ms deadline`,
      );
    }
    if (tight.length > 0) {
      const room = Math.min(...tight.map(({ t }) => t.deadlineMs - t.attemptTimeoutMs));
      fixes.push(`lower RATE_LIMIT_MAX_WAIT_MS to at most ${Math.max(0, room)}`);
    }
  }
  if (problems.length > 0) return fail('rate_limits', problems.join('; '), fixes.join('; '));
  const tightest = SURFACES.map((s) => ({ s, t: upstreamTiming(env, s) })).sort(
    (a, b) => a.t.deadlineMs - a.t.attemptTimeoutMs - (b.t.deadlineMs - b.t.attemptTimeoutMs),
  )[0];
  const room = tightest
    ? `; tightest: ${tightest.s}, ${tightest.t.deadlineMs} ms deadline, ${tightest.t.attemptTimeoutMs} ms attempts`
    : '';
  return pass(
    'rate_limits',
    `${reads} reads/s and ${writes} writes/s within the account's ${ACCOUNT_READS_PER_SECOND}/${ACCOUNT_WRITES_PER_SECOND}; a ${maxWait} ms wait for a slot still leaves one full attempt in every surface's deadline${room}`,
  );
}
