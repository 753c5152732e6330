import type { Context } from 'hono';
import type { AdminCredentialStatus } from '../../admin/status';
import { BadKeyLimiter } from '../../agents/gateway/bad-key-limit';
import { attemptSource } from '../../agents/model/attempts';
import { type AppEnv, BollardError } from '../../http';

/**
 * A per-source limit on wrong admin tokens, the treatment agent keys get (src/agents/bad-key-limit.ts):
 * once a source (`CF-Connecting-IP`; IPv6 by /64, as agent keys are counted) has presented a wrong
 * `ADMIN_TOKEN` `ADMIN_AUTH_FAILURE_LIMIT_PER_MINUTE` times in the current minute — as a bearer token or at
 * the console's sign-in — every further attempt from it to present one is answered 429 with `Retry-After`
 * (the seconds left in the minute) before the token is compared, the right token included: what is limited
 * is guessing, and a guess that was never compared teaches nothing. Other sources are unaffected, and so
 * are requests from this one that present no token (a console session, a Cloudflare Access assertion:
 * credentials that cannot be guessed, and whose failures are not counted).
 *
 * Per isolate and in memory, like the agents' limit: no storage, no round trip; a guesser spread over many
 * isolates or locations gets more tries, which a 256-bit token (the doctor's `secrets` check) makes
 * worthless anyway. A request without `CF-Connecting-IP` did not come through Cloudflare's edge (a service
 * binding, a test) and is counted but not limited.
 */

/** Wrong admin tokens per source and minute before 429 (`ADMIN_AUTH_FAILURE_LIMIT_PER_MINUTE`). */
export const DEFAULT_ADMIN_FAILURE_LIMIT_PER_MINUTE = 10;

/** Optional configuration, not declared in wrangler.toml. */
/** The effective limit; `0` turns it off. */
export function adminFailureLimitPerMinute(env: Env): number {
  const raw = env.ADMIN_AUTH_FAILURE_LIMIT_PER_MINUTE?.trim() ?? '';
  if (!/^\d{1,9}$/.test(raw)) return DEFAULT_ADMIN_FAILURE_LIMIT_PER_MINUTE;
  return Number(raw);
}

/** Where a wrong token was presented: `Authorization: Bearer` on any `/admin*` route, or `POST /admin/session`. */
export type AdminTokenChannel = 'bearer' | 'sign_in';

const limiter = new BadKeyLimiter();
const counted = { failures: 0, refused: 0, limitsReached: 0, lastFailureMs: null as number | null };

/** What `GET /admin/status` shows as `admin_credentials`: the setting and this isolate's counts. */
export function adminCredentialStatus(env: Env): AdminCredentialStatus {
  return {
    failure_limit_per_minute: adminFailureLimitPerMinute(env),
    this_isolate: {
      failures: counted.failures,
      refused: counted.refused,
      limits_reached: counted.limitsReached,
      last_failure_at: counted.lastFailureMs === null ? null : new Date(counted.lastFailureMs).toISOString(),
    },
  };
}

/** An admin token about to be compared: `failed()` counts it when it was wrong. */
export interface AdminTokenAttempt {
  failed(): void;
}

/**
 * Call before comparing a presented admin token. Throws 429 `admin_credentials_rate_limited` when the
 * request's source is past its limit for the minute; otherwise returns the attempt, whose `failed()`
 * counts a wrong token (this isolate's counters, the source's minute, one log line — never the token).
 */
export function beginAdminTokenAttempt(
  c: Context<AppEnv>,
  channel: AdminTokenChannel,
  now = Date.now(),
): AdminTokenAttempt {
  const header = c.req.header('cf-connecting-ip');
  const source = header === undefined ? null : attemptSource(header);
  const limit = adminFailureLimitPerMinute(c.env);
  const wait = source === null ? 0 : limiter.retryAfter(source, limit, now);
  if (wait > 0) {
    counted.refused++;
    throw new BollardError('too_many_requests', {
      codes: ['admin_credentials_rate_limited'],
      message: 'too many wrong admin tokens from this address; retry after Retry-After seconds',
      retryAfter: wait,
    });
  }
  return {
    failed() {
      counted.failures++;
      counted.lastFailureMs = now;
      const log = c.get('log');
      log.warn('admin credential refused', { channel, source: source ?? 'unknown' });
      if (source !== null && limiter.fail(source, limit, now)) {
        counted.limitsReached++;
        log.warn('admin credential limit reached', { source, limit_per_minute: limit });
      }
    },
  };
}
