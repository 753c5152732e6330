import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import { CATALOG } from '../../src/catalog';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import worker from '../../workers/checkout-sim/index';
import {
  bodyArb,
  contentTypeArb,
  DEV_SECRETS,
  type FuzzBody,
  headerSafe,
  idSegmentArb,
  methodArb,
  queryArb,
  TEST_CARDS,
} from '../fuzz/support/arbitraries';
import { propertyOptions, timeoutFor } from '../fuzz/support/config';
import { type Answer, LogCapture, readAnswer, unexpectedLogLines } from '../fuzz/support/invariants';

/**
 * The simulator's public API (what stands in for Checkout.com: the 32 catalog methods, `/tokens`,
 * `/payment-sessions/{id}/submit`, `/connect/token`, the hosted `/link` and `/3ds` pages, and the control
 * plane without its key) under hostile input: hostile ids, every method, bodies, content types, query
 * strings, and every credential (full and storefront secret keys, the public key, an OAuth token, in every
 * `Authorization` spelling, wrong or none). The control plane with its key is left alone (it would fault
 * the simulator).
 *
 * Every answer is below 500 (nothing is faulted); an error is Checkout.com's shape — `{ request_id,
 * error_type, error_codes }`, or no body at all for 401/404 as the real API does — and `/connect/token`'s
 * is RFC 6749's `{ error }`; no secret comes back; a hosted page never carries the request's markup
 * unescaped; and a 4xx processed nothing (`effects` in `/_sim/stats` unchanged).
 */
const RUNS = 300;
const SIM = 'http://sim.test';
const SK = DEV_CREDENTIALS.secretKey;

async function send(request: Request): Promise<Answer> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request as Parameters<typeof worker.fetch>[0], env, ctx);
  const answer = await readAnswer(res);
  await waitOnExecutionContext(ctx);
  return answer;
}

async function effects(): Promise<number> {
  const res = await send(
    new Request(`${SIM}/_sim/stats`, { headers: { authorization: `Bearer ${DEV_CREDENTIALS.simAdminKey}` } }),
  );
  const stats = JSON.parse(res.text) as { effects: Record<string, number> };
  return Object.values(stats.effects).reduce((a, b) => a + b, 0);
}

interface SimRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string | null>;
  body: FuzzBody;
}

function toRequest(req: SimRequest): Request | null {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    const safe = v === null ? null : headerSafe(v);
    if (safe !== null) headers.set(k, safe);
  }
  const withBody = !['GET', 'HEAD'].includes(req.method.toUpperCase()) && req.body.data !== null;
  try {
    return new Request(`${SIM}${req.path}${req.query}`, {
      method: req.method,
      headers,
      redirect: 'manual',
      ...(withBody ? { body: req.body.data } : {}),
    });
  } catch {
    return null;
  }
}

function violationsOf(request: Request, answer: Answer, logs: string[]): string[] {
  const out: string[] = [];
  const path = new URL(request.url).pathname;
  if (answer.status >= 500) out.push(`5xx answer ${answer.status}`);
  const html = (answer.headers.get('content-type') ?? '').startsWith('text/html');
  if (answer.status >= 400 && answer.text !== '' && request.method !== 'HEAD') {
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(answer.text) as Record<string, unknown>;
    } catch {
      if (!html) out.push(`an error body that is not JSON: ${answer.text.slice(0, 100)}`);
    }
    // Only POST is the token endpoint; another method there is an API path like any other (the gate's answers).
    if (path === '/connect/token' && request.method === 'POST') {
      if (typeof body.error !== 'string') out.push('a token endpoint error without { error }');
    } else if (!html) {
      if (
        typeof body.request_id !== 'string' ||
        typeof body.error_type !== 'string' ||
        !Array.isArray(body.error_codes)
      )
        out.push(`an error not in Checkout.com's shape: ${answer.text.slice(0, 120)}`);
      else if (body.request_id !== answer.headers.get('cko-request-id'))
        out.push('request_id differs from Cko-Request-Id');
    }
  }
  const text = `${[...answer.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${answer.text}`;
  for (const s of DEV_SECRETS)
    if (text.includes(s)) out.push(`the answer contains a secret (${s.slice(0, 6)}…)`);
  // The hosted pages list the sandbox test cards on purpose; anywhere else a card number is a leak.
  if (!html)
    for (const card of TEST_CARDS)
      if (text.includes(card)) out.push(`the answer contains test card ${card.slice(0, 4)}…`);
  if (html && /<script>alert|<img src=x/i.test(answer.text))
    out.push('a hosted page carries the request markup unescaped');
  const logText = logs.join('\n');
  for (const s of DEV_SECRETS)
    if (logText.includes(s)) out.push(`the logs contain a secret (${s.slice(0, 6)}…)`);
  for (const line of unexpectedLogLines(logs)) out.push(`unexpected log line: ${line.slice(0, 300)}`);
  return out;
}

describe('fuzz: the simulator API', () => {
  let oauthToken = '';
  beforeAll(async () => {
    const res = await send(
      new Request(`${SIM}/connect/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${btoa(`${DEV_CREDENTIALS.oauthClientId}:${DEV_CREDENTIALS.oauthClientSecret}`)}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      }),
    );
    oauthToken = String((JSON.parse(res.text) as { access_token?: unknown }).access_token);
    if (oauthToken.length < 20) throw new Error(`token: ${res.status} ${res.text}`);
  });

  it("answers every request below 500, in Checkout.com's error shape, processing nothing on a refusal", {
    timeout: timeoutFor(RUNS, 200),
  }, async () => {
    const id = idSegmentArb([
      'pay_aaaaaaaaaaaaaaaaaaaaaaaaaa',
      'ps_aaaaaaaaaaaaaaaaaaaaaaaaaa',
      'pl_aaaaaaaaaaaa',
    ]);
    const fill = (t: string, i: string) => t.replaceAll(/\{[^}]+\}/g, i);
    const target = fc.oneof(
      {
        weight: 6,
        arbitrary: fc
          .tuple(fc.constantFrom(...CATALOG), id)
          .map(([e, i]) => ({ method: e.method, path: fill(e.path, i) })),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(methodArb, fc.constantFrom(...CATALOG.map((e) => e.path)), id)
          .map(([m, t, i]) => ({ method: m, path: fill(t, i) })),
      },
      {
        weight: 3,
        arbitrary: fc
          .tuple(
            methodArb,
            fc.oneof(
              fc.constantFrom(
                '/tokens',
                '/connect/token',
                '/_sim/stats',
                '/_sim/faults',
                '/_sim/reset',
                '/healthz',
                '/',
                '/payments/',
                '/workflows/event-types',
              ),
              id.map((i) => `/payment-sessions/${i}/submit`),
              id.map((i) => `/link/${i}`),
              id.map((i) => `/3ds/${i}`),
              id.map((i) => `/workflows/events/subject/${i}`),
            ),
          )
          .map(([method, path]) => ({ method, path })),
      },
    );
    const credential = fc.constantFrom(
      SK,
      SK,
      DEV_CREDENTIALS.storefrontSecretKey,
      DEV_CREDENTIALS.publicKey,
      oauthToken,
      'sk_sbox_wrongkeyaaaaaaaaaaaaaaaaaq',
      DEV_CREDENTIALS.simAdminKey,
    );
    const authorization = fc.oneof(
      {
        weight: 6,
        arbitrary: fc
          .tuple(fc.constantFrom('Bearer ', 'bearer ', ''), credential)
          .map(([s, c]) => `${s}${c}`),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          null,
          '',
          'Bearer',
          `Basic ${btoa(`${DEV_CREDENTIALS.oauthClientId}:${DEV_CREDENTIALS.oauthClientSecret}`)}`,
          'Basic !!!',
        ),
      },
    );
    const payment = fc
      .tuple(
        fc.constantFrom('100', '1000', '-1', '1e400', '"1"'),
        fc.constantFrom('"EUR"', '"GBP"', '"eur"', 'null'),
        fc.constantFrom(...TEST_CARDS),
      )
      .map(
        ([a, c, n]) =>
          `{"amount":${a},"currency":${c},"source":{"type":"card","number":"${n}","expiry_month":12,"expiry_year":2030,"cvv":"100"},"reference":"fuzz"}`,
      );
    const requestArb: fc.Arbitrary<SimRequest> = fc
      .record({
        target,
        query: queryArb,
        headers: fc.record({
          authorization,
          'content-type': fc.oneof(
            { weight: 3, arbitrary: fc.constant('application/json') },
            { weight: 1, arbitrary: contentTypeArb },
          ),
          'cko-idempotency-key': fc.constantFrom(null, null, 'fuzz-1', '', 'k'.repeat(300)),
          origin: fc.constantFrom(null, 'http://evil.example'),
        }),
        body: bodyArb(
          [
            'amount',
            'currency',
            'source',
            'number',
            'type',
            'reference',
            'grant_type',
            'scope',
            'session_data',
          ],
          [
            payment,
            fc.constant(
              '{"type":"card","number":"4242424242424242","expiry_month":12,"expiry_year":2030,"cvv":"100"}',
            ),
            fc.constant('grant_type=client_credentials&scope=gateway'),
          ],
        ),
      })
      .map(({ target: t, ...rest }) => ({ ...rest, method: t.method, path: t.path }));

    const log = new LogCapture().start();
    const statuses = new Map<string, number>();
    const started = Date.now();
    let count = 0;
    try {
      await fc.assert(
        fc.asyncProperty(requestArb, async (req) => {
          const request = toRequest(req);
          fc.pre(request !== null);
          if (request === null) return;
          count++;
          const before = await effects();
          log.take();
          const answer = await send(request);
          const logs = log.take();
          // The tally names the credential's scheme only: never a piece of a key, even a dev one, in a log.
          const given = req.headers.authorization;
          const first = given?.split(' ')[0]?.toLowerCase();
          const scheme =
            given === undefined ? 'none' : first === 'bearer' || first === 'basic' ? first : 'other';
          const outcome = `${answer.status}${answer.status === 401 ? `:${scheme}` : ''}`;
          statuses.set(outcome, (statuses.get(outcome) ?? 0) + 1);
          const violations = violationsOf(request, answer, logs);
          if (answer.status >= 400 && answer.status < 500 && (await effects()) !== before)
            violations.push('a 4xx processed a write');
          if (violations.length)
            throw new Error(
              `${violations.join('\n')}\n— ${req.method} ${req.path.slice(0, 200)}${req.query.slice(0, 100)}\n— answered ${answer.status}: ${answer.text.slice(0, 300)}`,
            );
        }),
        propertyOptions(RUNS),
      );
    } finally {
      log.stop();
      const tally = [...statuses].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}×${n}`);
      console.info(
        `fuzz simulator: ${count} requests in ${((Date.now() - started) / 1000).toFixed(1)} s: ${tally.join(' ')}`,
      );
    }
  });
});
