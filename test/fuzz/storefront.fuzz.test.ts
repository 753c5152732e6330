import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import { mintOrderToken } from '../../src/storefront';
import type { StorefrontGuard } from '../../src/storefront/guard-do';
import { keyGuard, orderGuard, sessionGuardName } from '../../src/storefront/stubs';
import {
  bodyArb,
  contentTypeArb,
  idSegmentArb,
  methodArb,
  ORDER_TOKEN_KEY,
  originArb,
  queryArb,
  RAW_NUMBERS,
  requestIdArb,
} from './support/arbitraries';
import {
  assertClean,
  commonViolations,
  type FuzzRequest,
  requestText,
  runFuzz,
  send,
  simCounters,
  storedTables,
  toRequest,
} from './support/bollard';
import { propertyOptions, timeoutFor } from './support/config';

/**
 * The storefront (`/v1/*`, `/openapi.json`, `/healthz`, the demo paths, which are off) under hostile
 * input, in the configured `signed` order mode and in `open` mode: session and link bodies (valid ones
 * with good, expired, forged and replayed order tokens, mutated ones, and everything `bodyArb` makes),
 * hostile ids, every method, content types, CORS origins and preflights, `Idempotency-Key`s and client
 * addresses.
 *
 * "Written", for a 4xx: no upstream effect; no write request upstream unless the refusal is the upstream's
 * own verdict (a 404/409/422 on a route that writes upstream); no record left in the guard objects the
 * requests can reach (the keys' `key:<hash>` and the tokens' `order:<jti>`: idempotency records, used
 * tokens, session records); and a status probe for a session Bollard never created leaves no storage in
 * that session's object.
 */
const RUNS = 200;
const ORIGIN = 'http://127.0.0.1:8787';
const CLIENTS = [null, '203.0.113.7', '2001:db8::1'] as const;
const JTIS = ['fuzz-jti-1', 'fuzz-jti-2'] as const;
/** The well-formed `Idempotency-Key`s the requests carry (their records live in `key:<hash>` guards). */
const KEYS = ['fuzz-idem-1', '"fuzz-idem-2"'] as const;
const SESSION_ID = 'ps_2Un6I6lRpIAiIEwQIyxWVnV9CqQ';

const STOREFRONT_FIELDS = [
  'order_token',
  'amount',
  'currency',
  'reference',
  'billing',
  'address',
  'country',
  'customer',
  'email',
  'name',
  'description',
  'locale',
  'success_url',
  'failure_url',
  'return_url',
  'expires_in',
  'session_data',
  'processing_channel_id',
];

/** Mostly a good value (so that requests get past the first checks), else a bad one. */
function mostly(good: fc.Arbitrary<string>, bad: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: bad });
}

/**
 * Most requests run without the per-client limits (a few clients would spend them in seconds and then
 * see nothing but 429s); the rest with them, as deployed.
 */
const UNLIMITED: Partial<Env> = {
  STOREFRONT_CLIENT_LIMIT_PER_MINUTE: '1000000',
  STOREFRONT_CLIENT_LIMITER: undefined,
};

/** Rows in every table of a guard object (0 when it holds none). */
async function guardRows(guard: DurableObjectStub<StorefrontGuard>): Promise<number> {
  const { runInDurableObject } = await import('cloudflare:test');
  return runInDurableObject(guard as DurableObjectStub, (_i, state) => {
    let rows = 0;
    const tables = state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'")
      .toArray();
    for (const t of tables)
      rows += state.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM "${t.name}"`).one().n;
    return rows;
  });
}

async function guardFingerprint(): Promise<number[]> {
  return Promise.all([
    ...(await Promise.all(KEYS.map((key) => keyGuard(env, key)))).map((guard) => guardRows(guard)),
    ...JTIS.map((jti) => guardRows(orderGuard(env, jti))),
  ]);
}

describe('fuzz: the storefront', () => {
  let tokens: string[] = [];
  beforeAll(async () => {
    const now = Date.now();
    tokens = [
      await mintOrderToken({ amount: 1000, currency: 'EUR', reference: 'fuzz-1' }, ORDER_TOKEN_KEY, {
        jti: JTIS[0],
      }),
      await mintOrderToken({ amount: 500, currency: 'GBP', reference: 'fuzz-2' }, ORDER_TOKEN_KEY, {
        jti: JTIS[1],
      }),
      await mintOrderToken({ amount: 500, currency: 'GBP', reference: 'old' }, ORDER_TOKEN_KEY, {
        now: now - 3_600_000,
      }),
      await mintOrderToken({ amount: 500, currency: 'JPY', reference: 'jpy' }, ORDER_TOKEN_KEY, {
        jti: JTIS[0],
      }),
      await mintOrderToken(
        { amount: 500, currency: 'GBP', reference: 'forged' },
        'not-the-order-token-key-0000000000000000000',
      ),
      await mintOrderToken({ amount: 500, currency: 'GBP', reference: 'long' }, ORDER_TOKEN_KEY, {
        ttlSeconds: 86_400,
      }),
    ];
  });

  it('answers every request below 500, in the one error shape, writing nothing on a refusal', {
    timeout: timeoutFor(RUNS),
  }, async () => {
    const tokenText = mostly(
      fc.constantFrom(...tokens).map((t) => JSON.stringify(t)),
      fc.constantFrom('"x"', '""', '1', `"${'a'.repeat(5000)}"`),
    );
    const url = mostly(
      fc.constant(`"${ORIGIN}/done"`),
      fc.constantFrom(
        '"https://evil.example/"',
        `"http://user:pw@127.0.0.1:8787/x"`,
        '"javascript:alert(1)"',
        '"//evil.example"',
        `"${ORIGIN}.evil.example/"`,
        '1',
      ),
    );
    const billing = mostly(
      fc.constant('{"address":{"country":"GB","city":"London","zip":"W1 1AA"}}'),
      fc.constantFrom(
        '{"address":{"country":"gb"}}',
        '{"address":{}}',
        '{"address":{"country":"GB"},"phone":{"country_code":"+44","number":"4242424242424242"}}',
        '{"address":{"country":"GB","__proto__":{"x":1}}}',
        'null',
      ),
    );
    const amount = mostly(fc.constantFrom('100', '1000', '99999'), fc.constantFrom(...RAW_NUMBERS));
    const currency = mostly(fc.constantFrom('"EUR"', '"GBP"'), fc.constantFrom('"JPY"', '"eur"', '1'));
    const sessionBody = fc
      .tuple(tokenText, billing, url, url, fc.boolean())
      .map(([t, b, s, f, withToken]) =>
        withToken
          ? `{"order_token":${t},"billing":${b},"success_url":${s},"failure_url":${f}}`
          : `{"billing":${b},"success_url":${s},"failure_url":${f}}`,
      );
    const openSession = fc
      .tuple(amount, currency, billing, url)
      .map(
        ([a, c, b, u]) =>
          `{"amount":${a},"currency":${c},"billing":${b},"success_url":${u},"failure_url":${u}}`,
      );
    const linkBody = fc
      .tuple(tokenText, billing, url, fc.constantFrom('60', '86400', '59', '1e400', '"1"'))
      .map(([t, b, u, e]) => `{"order_token":${t},"billing":${b},"return_url":${u},"expires_in":${e}}`);
    const submitBody = fc
      .constantFrom(
        '"tok_aaaaaaaaaaaaaaaaaaaaaaaaaa"',
        '""',
        '"4242424242424242"',
        `"${'s'.repeat(17_000)}"`,
        '1',
        'null',
      )
      .map((d) => `{"session_data":${d}}`);

    const id = idSegmentArb([SESSION_ID, 'pl_ELqQJXdXzabU', 'ps_aaaaaaaaaaaaaaaaaaaaaaaaaa']);
    const target = fc.oneof(
      { weight: 4, arbitrary: fc.constant({ method: 'POST', path: '/v1/payment-sessions' }) },
      { weight: 3, arbitrary: fc.constant({ method: 'POST', path: '/v1/payment-links' }) },
      { weight: 3, arbitrary: id.map((i) => ({ method: 'POST', path: `/v1/payment-sessions/${i}/submit` })) },
      { weight: 2, arbitrary: id.map((i) => ({ method: 'GET', path: `/v1/payment-sessions/${i}/status` })) },
      { weight: 2, arbitrary: id.map((i) => ({ method: 'GET', path: `/v1/payment-links/${i}` })) },
      {
        weight: 2,
        arbitrary: fc
          .tuple(
            methodArb,
            fc.oneof(
              fc.constantFrom(
                '/v1/config',
                '/v1/tokenize.js',
                '/openapi.json',
                '/healthz',
                '/',
                '/demo/order-token',
                '/demo/shop.js',
                '/v1/events/recent',
                '/v1/payment-sessions',
                '/v1/payment-links',
                '/v1',
                '/v1/',
                '/v2/payment-sessions',
              ),
              id.map((i) => `/v1/payment-sessions/${i}/submit`),
              id.map((i) => `/v1/${i}`),
            ),
          )
          .map(([method, path]) => ({ method, path })),
      },
    );
    const requestArb: fc.Arbitrary<FuzzRequest & { open: boolean; limited: boolean }> = fc
      .record({
        target,
        open: fc.boolean(),
        limited: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
        query: queryArb,
        headers: fc.record({
          origin: fc.oneof(
            { weight: 3, arbitrary: fc.constant(ORIGIN) },
            { weight: 2, arbitrary: originArb },
          ),
          'content-type': fc.oneof(
            { weight: 3, arbitrary: fc.constant('application/json') },
            { weight: 2, arbitrary: contentTypeArb },
          ),
          'idempotency-key': fc.constantFrom(null, null, ...KEYS, '', 'é', 'k'.repeat(256)),
          'cf-connecting-ip': fc.constantFrom(...CLIENTS),
          'x-request-id': requestIdArb,
          'access-control-request-method': fc.constantFrom(null, null, 'POST', 'DELETE'),
          'access-control-request-headers': fc.constantFrom(
            null,
            null,
            'content-type, idempotency-key',
            'authorization',
          ),
        }),
        body: bodyArb(STOREFRONT_FIELDS, [sessionBody, openSession, linkBody, submitBody]),
      })
      .map(({ target: t, ...rest }) => ({ ...rest, method: t.method, path: t.path }));

    await runFuzz(
      'storefront',
      ({ log, seen }) =>
        fc.asyncProperty(requestArb, async (req) => {
          const request = toRequest(req);
          fc.pre(request !== null);
          if (request === null) return;
          const [simBefore, guardBefore] = await Promise.all([simCounters(), guardFingerprint()]);
          // A status probe's session shard, as it was: the probe must not add storage to it.
          const probed = /^\/v1\/payment-sessions\/(ps_[A-Za-z0-9]+)\/status$/.exec(
            new URL(request.url).pathname,
          )?.[1];
          const shardBefore =
            probed === undefined ? 0 : await storedTables(env.STOREFRONT_GUARD, sessionGuardName(probed));
          log.take();
          const answer = await send(request, {
            ...(req.limited ? {} : UNLIMITED),
            ...(req.open ? { STOREFRONT_ORDER_MODE: 'open' } : {}),
          });
          const logs = log.take();
          seen(answer);
          const [simAfter, guardAfter] = await Promise.all([simCounters(), guardFingerprint()]);
          const violations = commonViolations({
            request,
            requestText: requestText(req),
            answer,
            logs,
            sim: { before: simBefore, after: simAfter },
            scan: { secrets: tokens },
          });
          if (answer.status >= 400 && answer.status < 500) {
            const writesUpstream =
              request.method === 'POST' &&
              /^\/v1\/payment-(sessions|links)(\/[^/]+\/submit)?$/.test(new URL(request.url).pathname);
            const upstreamVerdict = writesUpstream && [404, 409, 422].includes(answer.status);
            if (!upstreamVerdict && simAfter.writes !== simBefore.writes)
              violations.push('a refusal sent a write upstream');
            if (guardAfter.join() !== guardBefore.join())
              violations.push(`a refusal left guard records (${guardBefore.join()} → ${guardAfter.join()})`);
            if (
              probed !== undefined &&
              (await storedTables(env.STOREFRONT_GUARD, sessionGuardName(probed))) !== shardBefore
            )
              violations.push('a status probe left storage in the session shard');
          }
          assertClean(violations, req, answer);
        }),
      propertyOptions(RUNS),
    );
  });
});
