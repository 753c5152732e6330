import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import { agentDirectory } from '../../src/agents/objects/stubs';
import { appendedSince, chainHeads } from './support/agents';
import {
  body as asBody,
  bodyArb,
  contentTypeArb,
  idSegmentArb,
  jsonText,
  methodArb,
  queryArb,
  requestIdArb,
} from './support/arbitraries';
import {
  ADMIN_TOKEN,
  type AgentFixtures,
  agentFixtures,
  assertClean,
  authVariants,
  BROKEN_AUTH,
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
 * The operator routes, `/admin*`, and the console's `/admin/session`, under hostile input: every route
 * (agents and grants, audit, events, status, doctor, metrics, the console's page, files and session),
 * hostile ids and query strings, every method, hostile bodies for creates and updates (valid ones
 * mutated), and credentials: the admin token in every `Authorization` spelling, wrong tokens, agent keys,
 * a console session cookie with and without its CSRF token, from this origin and from others, and a forged
 * cookie and Access assertion.
 *
 * "Written", for a 4xx: no agent created (the directory's count), no fixture agent changed (its profile:
 * version, name, grants, limits, expiry, key, revocation), no audit entry in any fixture chain, no storage in
 * the object of an agent id that does not exist, no upstream write, and no `Set-Cookie` (no session
 * started or renewed).
 */
const RUNS = 200;
const BASE = 'http://127.0.0.1:8787';

const AGENT_FIELDS = [
  'name',
  'grants',
  'limits',
  'expires_at',
  'max_amount_per_call',
  'max_amount_per_day',
  'currencies',
  'payments',
  'disputes',
  'token',
  'url',
];

/** A fixture agent's profile as its object holds it, to compare before and after. */
async function profiles(ids: readonly string[]): Promise<string> {
  const all = await Promise.all(ids.map((id) => env.AGENT.getByName(id).get()));
  return JSON.stringify(all.map((p) => p?.agent ?? null));
}

describe('fuzz: the operator routes and the console', () => {
  let fixtures: AgentFixtures;
  let cookie = '';
  let csrf = '';
  beforeAll(async () => {
    fixtures = await agentFixtures();
    const signIn = await send(
      new Request(`${BASE}/admin/session`, {
        method: 'POST',
        headers: { origin: BASE, 'content-type': 'application/json' },
        body: JSON.stringify({ token: ADMIN_TOKEN }),
      }),
    );
    cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const session = await send(new Request(`${BASE}/admin/session`, { headers: { cookie } }));
    csrf = String((JSON.parse(session.text) as { csrf_token?: unknown }).csrf_token);
    if (!cookie || csrf.length < 16) throw new Error(`console sign-in: ${signIn.status} ${signIn.text}`);
  }, 60_000);

  it('answers every request below 500, in the one error shape, writing nothing on a refusal', {
    timeout: timeoutFor(RUNS),
  }, async () => {
    const agentId = idSegmentArb([
      fixtures.writer.id,
      fixtures.revoked.id,
      fixtures.reader.id,
      `agt_${'z'.repeat(26)}`,
    ]);
    const eventId = idSegmentArb([
      'evt_aaaaaaaaaaaaaaaaaaaaaaaaaa',
      'pay_aaaaaaaaaaaaaaaaaaaaaaaaaa',
      'dsp_aaaaaaaaaaaaaaaaaaaaaaaaaa',
    ]);
    const routes = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          'POST /admin/agents',
          'GET /admin/agents',
          'GET /admin/agents/upstream-scopes',
        ),
      },
      {
        weight: 5,
        arbitrary: fc
          .tuple(
            fc.constantFrom('GET', 'PATCH', 'DELETE', 'POST', 'POST', 'PUT'),
            fc.constantFrom('', '/rotate', '/revoke', '/x'),
            agentId,
          )
          .map(([m, suffix, id]) => `${m} /admin/agents/${id}${suffix}`),
      },
      {
        weight: 3,
        arbitrary: fc.constantFrom('GET /admin/audit', 'GET /admin/audit/export', 'GET /admin/audit/verify'),
      },
      {
        // Approvals: the list, one approval, and decisions on made-up and malformed ids.
        weight: 2,
        arbitrary: fc.oneof(
          fc.constant('GET /admin/approvals'),
          fc
            .tuple(
              fc.constantFrom('GET', 'POST', 'POST'),
              fc.constantFrom('', '/approve', '/decline'),
              idSegmentArb([`apr_${'a'.repeat(26)}_${'b'.repeat(16)}`, 'apr_x']),
            )
            .map(
              ([m, suffix, id]) => `${m} /admin/approvals/${id}${m === 'GET' ? '' : suffix || '/approve'}`,
            ),
        ),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(
            fc.constantFrom(
              'GET /admin/events/',
              'POST /admin/events/',
              'GET /admin/payments/',
              'GET /admin/disputes/',
            ),
            eventId,
            fc.constantFrom('', '/replay'),
          )
          .map(([r, id, s]) => `${r}${id}${r.startsWith('POST') ? '/replay' : s}`),
      },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          'GET /admin/events',
          'GET /admin/dead-letters',
          'GET /admin/quarantine',
          'GET /admin/status',
          'GET /admin/openapi.json',
          'GET /admin/metrics',
          'GET /admin/doctor',
          'POST /admin/doctor/webhook-test',
        ),
      },
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          'GET /admin',
          'GET /admin/',
          'GET /admin/console/app.js',
          'GET /admin/console/..%2F..%2Fsecrets',
          'GET /admin/console/__proto__',
          'GET /admin/console/constructor',
          'GET /admin/console/hasOwnProperty',
          'GET /admin/session',
          'POST /admin/session',
          'POST /admin/session',
          'DELETE /admin/session',
          'GET /admin/nope',
        ),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(
            methodArb,
            fc.constantFrom('/admin', '/admin/agents', '/admin/audit', '/admin/session', '/admin/status'),
          )
          .map(([m, p]) => `${m} ${p}`),
      },
    );
    const pick = (good: string[], bad: string[]) =>
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...good) },
        { weight: 1, arbitrary: fc.constantFrom(...bad) },
      );
    const validAgent = fc
      .tuple(
        pick(['"fuzz"'], ['""', '"  "', `"${'n'.repeat(101)}"`, '1', 'null']),
        pick(
          ['{"payments":"read"}', '{"payments":"write","disputes":"read"}', '{}'],
          ['{"nope":"read"}', '{"payments":"admin"}', '{"__proto__":"write"}', '[]'],
        ),
        pick(
          ['null', '"2999-01-01T00:00:00Z"'],
          ['"2020-01-01T00:00:00Z"', '"2026-13-45T00:00:00Z"', '"tomorrow"', '1e400'],
        ),
        pick(
          ['{}', '{"currencies":["EUR"]}'],
          ['{"max_amount_per_call":{"EUR":1e400}}', '{"max_amount_per_day":{"eur":1}}', '{"x":1}'],
        ),
      )
      .map(
        ([name, grants, expires, limits]) =>
          `{"name":${name},"grants":${grants},"expires_at":${expires},"limits":${limits}}`,
      );
    const signIn = fc.constantFrom(
      `{"token":"${ADMIN_TOKEN}"}`,
      '{"token":"wrong"}',
      '{"token":1}',
      '{}',
      `{"token":"${ADMIN_TOKEN} "}`,
    );
    const authorization = fc.oneof(
      {
        weight: 5,
        arbitrary: fc.constantFrom('Bearer', 'bearer', 'BEARER').map((s) => `${s} ${ADMIN_TOKEN}`),
      },
      { weight: 2, arbitrary: fc.constantFrom(...authVariants(ADMIN_TOKEN)) },
      { weight: 2, arbitrary: fc.constantFrom(...BROKEN_AUTH) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          `Bearer ${fixtures.writer.key}`,
          'Bearer wrong-token',
          `Bearer ${ADMIN_TOKEN.toUpperCase()}`,
        ),
      },
    );

    const requestArb: fc.Arbitrary<FuzzRequest> = fc
      .record({
        route: routes,
        query: queryArb,
        useCookie: fc.boolean(),
        headers: fc.record({
          authorization,
          'content-type': fc.oneof(
            { weight: 3, arbitrary: fc.constant('application/json') },
            { weight: 1, arbitrary: contentTypeArb },
          ),
          origin: fc.constantFrom(null, BASE, BASE, 'http://evil.example', 'null', 'http://127.0.0.1:8788'),
          'sec-fetch-site': fc.constantFrom(null, null, 'same-origin', 'cross-site'),
          'x-csrf-token': fc.constantFrom<string | null>(null, 'csrf', 'wrong'),
          'cf-access-jwt-assertion': fc.constantFrom(null, null, null, 'eyJhbGciOiJub25lIn0.e30.', 'x'),
          accept: fc.constantFrom(null, null, 'application/x-ndjson', 'text/html'),
          cookie: fc.constantFrom<string | null>(null),
          'x-request-id': requestIdArb,
        }),
        body: fc.oneof(
          { weight: 2, arbitrary: validAgent.map((t) => asBody('valid', t)) },
          { weight: 3, arbitrary: bodyArb(AGENT_FIELDS, [validAgent, signIn, jsonText(AGENT_FIELDS, 2)]) },
        ),
      })
      .map(({ route, useCookie, ...rest }) => {
        const [method = 'GET', path = '/admin'] = route.split(' ');
        const headers = { ...rest.headers };
        if (useCookie) headers.cookie = cookie;
        if (headers['x-csrf-token'] === 'csrf') headers['x-csrf-token'] = csrf;
        return { ...rest, headers, method, path, base: BASE };
      });

    await runFuzz(
      'admin',
      ({ log, seen }) =>
        fc.asyncProperty(requestArb, async (req) => {
          const request = toRequest(req);
          fc.pre(request !== null);
          if (request === null) return;
          const ids = [fixtures.reader.id, fixtures.writer.id, fixtures.revoked.id, fixtures.limited.id];
          const count = async () => (await agentDirectory(env).list({ limit: 1, skip: 0 })).total_count;
          const [simBefore, agentsBefore, profilesBefore, heads] = await Promise.all([
            simCounters(),
            count(),
            profiles(ids),
            chainHeads(fixtures.chains),
          ]);
          log.take();
          const answer = await send(request);
          const logs = log.take();
          seen(answer);
          const [simAfter, agentsAfter, profilesAfter, appended] = await Promise.all([
            simCounters(),
            count(),
            profiles(ids),
            appendedSince(heads),
          ]);
          const path = new URL(request.url).pathname;
          const issuesKey =
            answer.status < 300 &&
            request.method === 'POST' &&
            /^\/admin\/agents(\/[^/]+\/rotate)?$/.test(path);
          const violations = commonViolations({
            request,
            requestText: requestText(req),
            answer,
            logs,
            sim: { before: simBefore, after: simAfter },
            scan: { secrets: fixtures.keys, allowAgentKey: issuesKey },
          });
          if (answer.status >= 400 && answer.status < 500) {
            if (agentsAfter !== agentsBefore) violations.push('a refusal created an agent');
            if (profilesAfter !== profilesBefore) violations.push('a refusal changed an agent');
            if (appended.length) violations.push(`a refusal appended ${appended.length} audit entries`);
            if (simAfter.writes !== simBefore.writes) violations.push('a refusal sent a write upstream');
            if (answer.headers.has('set-cookie')) violations.push('a refusal set a cookie');
            const named = /^\/admin\/agents\/(agt_[a-z2-7]{26})(\/|$)/.exec(path)?.[1];
            if (
              named &&
              !ids.includes(named) &&
              named !== fixtures.ungranted.id &&
              named !== fixtures.expired.id &&
              (await storedTables(env.AGENT, named)) !== 0
            )
              violations.push('a refusal left storage in the object of an agent that does not exist');
          }
          if (request.method === 'POST' && path === '/admin/agents' && answer.status === 201) {
            const created = JSON.parse(answer.text) as { expires_at?: string | null };
            if (created.expires_at && Date.parse(created.expires_at) <= Date.now())
              violations.push('created an agent that has already expired');
          }
          if (
            answer.status < 400 &&
            /bollard_session/.test(answer.headers.get('set-cookie') ?? '') &&
            !(path === '/admin/session' || req.headers.cookie)
          )
            violations.push('a session cookie set without a sign-in');
          assertClean(violations, req, answer);
        }),
      propertyOptions(RUNS),
    );
  });
});
