import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import {
  agentAuthArb,
  appendedSince,
  chainHeads,
  GATEWAY_FIELDS,
  gatewayTargetArb,
  idempotencyKeyArb,
  refusalAuditViolations,
  spentToday,
  strayEntries,
  validGatewayBodies,
} from './support/agents';
import {
  bodyArb,
  contentTypeArb,
  idSegmentArb,
  methodArb,
  originArb,
  queryArb,
  requestIdArb,
} from './support/arbitraries';
import {
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
 * `/agent/v1/*` (the Checkout.com-compatible agent gateway) under hostile input: every catalog path with
 * hostile ids, unknown paths, every method, every fixture key in every `Authorization` spelling, broken
 * keys, hostile bodies, content types, idempotency keys, query strings and origins.
 *
 * "Written", for a refusal here (a 4xx without `X-Upstream-Request-Id`: Bollard refused before sending):
 * no request reached the simulator but the one money lookup a limited agent makes before refusing and the
 * one read an object-scope check may make before `object_not_owned` (never a write), no upstream effect,
 * nothing added to the limited agent's spend, at most one audit entry (a denied `call` for this request, in
 * the named agent's chain or `anonymous`), and no storage in the object of an agent that does not exist. Upstream 4xx answers (passed through) likewise leave no effect.
 */
const RUNS = 200;

describe('fuzz: the agent gateway /agent/v1/*', () => {
  let fixtures: AgentFixtures;
  beforeAll(async () => {
    fixtures = await agentFixtures();
  }, 60_000);

  it('answers every request below 500, in the one error shape, writing nothing on a refusal', {
    timeout: timeoutFor(RUNS),
  }, async () => {
    const requestArb: fc.Arbitrary<FuzzRequest> = fc
      .record({
        target: gatewayTargetArb(
          idSegmentArb([
            'pay_aaaaaaaaaaaaaaaaaaaaaaaaaa',
            'cus_aaaaaaaaaaaaaaaaaaaaaaaaaa',
            'dsp_aaaaaaaaaaaaaaaaaaaaaaaaaa',
          ]),
          methodArb,
        ),
        query: queryArb,
        headers: fc.record({
          authorization: agentAuthArb(fixtures, authVariants, BROKEN_AUTH),
          'content-type': contentTypeArb,
          'cko-idempotency-key': idempotencyKeyArb,
          'x-request-id': requestIdArb,
          origin: originArb,
        }),
        body: bodyArb(GATEWAY_FIELDS, validGatewayBodies),
      })
      .map(({ target, ...rest }) => ({ ...rest, method: target.method, path: `/agent/v1${target.path}` }));

    await runFuzz(
      'agent gateway',
      ({ log, seen }) =>
        fc.asyncProperty(requestArb, async (req) => {
          const request = toRequest(req);
          fc.pre(request !== null);
          if (request === null) return;
          const [simBefore, heads, spendBefore] = await Promise.all([
            simCounters(),
            chainHeads(fixtures.chains),
            spentToday(fixtures.limited.id),
          ]);
          log.take();
          const answer = await send(request);
          const logs = log.take();
          seen(answer);
          const [simAfter, appended, spendAfter] = await Promise.all([
            simCounters(),
            appendedSince(heads),
            spentToday(fixtures.limited.id),
          ]);
          const violations = commonViolations({
            request,
            requestText: requestText(req),
            answer,
            logs,
            sim: { before: simBefore, after: simAfter },
            scan: { secrets: fixtures.keys },
            passthrough: true,
          });
          const requestId = answer.headers.get('cko-request-id');
          if (strayEntries(appended, requestId).length)
            violations.push('audit entries appended for another request');
          const refused =
            answer.status >= 400 && answer.status < 500 && !answer.headers.has('x-upstream-request-id');
          if (refused) {
            violations.push(...refusalAuditViolations(appended, requestId));
            if (simAfter.writes !== simBefore.writes) violations.push('a refusal sent a write upstream');
            const lookups = simAfter.total - simBefore.total;
            const limitedKey = (req.headers.authorization ?? '').includes(fixtures.limited.key);
            // Object scope may read the named object first (a dispute's payment, a lost creation's status).
            const scopeRead = answer.status === 403 && answer.text.includes('"object_not_owned"');
            if (lookups > (limitedKey ? 1 : 0) + (scopeRead ? 1 : 0))
              violations.push(`a refusal made ${lookups} upstream requests`);
            if (JSON.stringify(spendAfter) !== JSON.stringify(spendBefore))
              violations.push('a refusal counted spend');
          }
          if ((req.headers.authorization ?? '').includes(fixtures.unknownKey)) {
            const tables = await storedTables(env.AGENT, `agt_${'q'.repeat(26)}`);
            if (tables !== 0) violations.push('a key naming no agent left storage in that agent object');
          }
          assertClean(violations, req, answer);
        }),
      propertyOptions(RUNS),
    );
  });
});
