import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import { CATALOG } from '../../src/catalog';
import {
  agentAuthArb,
  appendedSince,
  chainHeads,
  GATEWAY_FIELDS,
  refusalAuditViolations,
  strayEntries,
  validGatewayBodies,
} from './support/agents';
import {
  bodyArb,
  contentTypeArb,
  jsonText,
  originArb,
  requestIdArb,
  TEST_CARDS,
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
  toRequest,
} from './support/bollard';
import { propertyOptions, timeoutFor } from './support/config';
import { type Answer, errorShapeViolations, jsonRpcErrorViolations } from './support/invariants';

/**
 * `/agent/mcp` under hostile input: JSON-RPC messages (initialize, tools/list, tools/call of every catalog
 * tool and of made-up ones with hostile arguments, notifications, responses, unknown methods, batches,
 * `jsonrpc: "1.0"`), mutated, and everything `bodyArb` makes; every method; accept, content-type, protocol
 * version and session headers; every fixture key.
 *
 * The answer shapes of `/agent/mcp`:
 * - 401 (the key): Bollard's one error shape with `WWW-Authenticate: Bearer`, as on REST;
 * - any other 4xx (the HTTP message itself is refused): one JSON-RPC error response, `{ jsonrpc: "2.0",
 *   id: null, error: { code, message } }`, no `data`: 400 with -32700 (not JSON) or -32600 (not a JSON-RPC
 *   message, an empty batch, a batch with an invalid entry), 405 with `Allow: POST` (GET, DELETE, …), 406,
 *   413, 415;
 * - 200: a JSON-RPC response or a batch of them (tool errors are results with `isError`);
 * - 202 with no body: only notifications or responses were sent.
 *
 * "Written", for a 4xx: nothing reached the simulator, and the audit holds at most the key's refusal (a
 * denied `call`, or a counted `attempts` entry) — never a `start`.
 */
const RUNS = 200;

// JSON-RPC echoes a request's id in its response, so ids are plain here (a card number in one would come back).
const id = fc.oneof(
  fc.integer().map(String),
  fc.constantFrom('"a"', 'null', '1.5', '{}', '[]', '"__proto__"', '-0'),
);
const toolName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...CATALOG.map((e) => e.name)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('nope', '__proto__', 'constructor', '', 'tools/call', 'x'.repeat(300)),
  },
);
const toolArgs = fc.oneof(
  jsonText([...GATEWAY_FIELDS, 'body', 'query', 'idempotency_key']),
  fc
    .tuple(
      fc.constantFrom(
        '"pay_aaaaaaaaaaaaaaaaaaaaaaaaaa"',
        '"../_sim/stats"',
        '"%2F"',
        '""',
        '1',
        `"${TEST_CARDS[1]}"`,
      ),
      fc.oneof(...validGatewayBodies),
      fc.constantFrom('"k1"', '""', `"${'k'.repeat(300)}"`, '1'),
    )
    .map(([pid, body, key]) => `{"id":${pid},"body":${body},"idempotency_key":${key}}`),
);

const message = fc.oneof(
  id.map(
    (i) =>
      `{"jsonrpc":"2.0","id":${i},"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"fuzz","version":"1"}}}`,
  ),
  id.map((i) => `{"jsonrpc":"2.0","id":${i},"method":"tools/list"}`),
  fc
    .tuple(id, toolName, toolArgs)
    .map(
      ([i, n, a]) =>
        `{"jsonrpc":"2.0","id":${i},"method":"tools/call","params":{"name":${JSON.stringify(n)},"arguments":${a}}}`,
    ),
  fc.constantFrom(
    '{"jsonrpc":"2.0","method":"notifications/initialized"}',
    '{"jsonrpc":"2.0","id":7,"method":"ping"}',
    '{"jsonrpc":"2.0","id":7,"result":{}}',
    '{"jsonrpc":"2.0","id":7,"error":{"code":-1,"message":"x"}}',
    '{"jsonrpc":"2.0","id":7,"method":"resources/list"}',
    '{"jsonrpc":"2.0","id":7,"method":"prompts/get","params":{"name":"x"}}',
    '{"jsonrpc":"2.0","id":7,"method":"sampling/createMessage"}',
    '{"jsonrpc":"1.0","id":7,"method":"tools/list"}',
    '{"id":7,"method":"tools/list"}',
    '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"getPayment"}}',
    '{"method":"tools/call","params":{"name":"getPayment","arguments":{"id":"pay_x"}}}',
  ),
);
const validMcp: fc.Arbitrary<string>[] = [
  message,
  fc.array(message, { minLength: 1, maxLength: 3 }).map((m) => `[${m.join(',')}]`),
];
const MCP_FIELDS = [
  'jsonrpc',
  'id',
  'method',
  'params',
  'name',
  'arguments',
  'result',
  'error',
  'body',
  'query',
];

/** The shape of `/agent/mcp` answers (above): violations, empty when the answer is one of them. */
function mcpShapeViolations(request: Request, answer: Answer): string[] {
  const out: string[] = [];
  if (answer.status === 401) {
    out.push(...errorShapeViolations(answer));
    if (!answer.headers.get('www-authenticate')?.startsWith('Bearer'))
      out.push('a 401 without WWW-Authenticate: Bearer');
    return out;
  }
  if (answer.status === 202)
    return answer.text === '' ? [] : [`a 202 with a body: ${answer.text.slice(0, 80)}`];
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return [`an answer that is not JSON: ${answer.text.slice(0, 120)}`];
  }
  if (answer.status >= 400) {
    out.push(...jsonRpcErrorViolations(body));
    if (body && typeof body === 'object' && 'error' in body) {
      const e = (body as { error: Record<string, unknown> }).error;
      if (e && 'data' in e) out.push('a protocol error with data (the transport quotes the body there)');
    }
    if (answer.status === 405 && answer.headers.get('allow') !== 'POST')
      out.push('a 405 without Allow: POST');
    if (request.method === 'POST' && answer.status === 405) out.push('POST answered 405');
    return out;
  }
  for (const m of Array.isArray(body) ? body : [body]) {
    if (!m || typeof m !== 'object') {
      out.push('a 200 entry that is not an object');
      continue;
    }
    const r = m as Record<string, unknown>;
    if (r.jsonrpc !== '2.0') out.push('a 200 entry without jsonrpc 2.0');
    if ('error' in r) out.push(...jsonRpcErrorViolations(r));
    else if (!('result' in r)) out.push('a 200 entry with neither result nor error');
  }
  return out;
}

describe('fuzz: MCP at /agent/mcp', () => {
  let fixtures: AgentFixtures;
  beforeAll(async () => {
    fixtures = await agentFixtures();
  }, 60_000);

  it('answers every message below 500, in the JSON-RPC error shape, writing nothing on a refusal', {
    timeout: timeoutFor(RUNS),
  }, async () => {
    const requestArb: fc.Arbitrary<FuzzRequest> = fc.record({
      method: fc.oneof(
        { weight: 8, arbitrary: fc.constant('POST') },
        { weight: 2, arbitrary: fc.constantFrom('GET', 'DELETE', 'PUT', 'OPTIONS', 'HEAD', 'patch') },
      ),
      path: fc.oneof(
        { weight: 12, arbitrary: fc.constant('/agent/mcp') },
        { weight: 1, arbitrary: fc.constantFrom('/agent/mcp/', '/agent/MCP', '/agent/mcp/x') },
      ),
      query: fc.constantFrom('', '', '?sessionId=1', '?a=%zz'),
      headers: fc.record({
        authorization: agentAuthArb(fixtures, authVariants, BROKEN_AUTH),
        'content-type': fc.oneof(
          { weight: 4, arbitrary: fc.constant('application/json') },
          { weight: 1, arbitrary: contentTypeArb },
        ),
        accept: fc.constantFrom(
          'application/json, text/event-stream',
          'application/json, text/event-stream',
          'application/json',
          'text/event-stream',
          '*/*',
          'text/html',
          null,
        ),
        'mcp-protocol-version': fc.constantFrom(null, null, '2025-06-18', '2025-03-26', '1999-01-01', 'x'),
        'mcp-session-id': fc.constantFrom(null, null, null, 'abc', '../../x'),
        'x-request-id': requestIdArb,
        origin: originArb,
      }),
      body: bodyArb(MCP_FIELDS, validMcp),
    });

    await runFuzz(
      'mcp',
      ({ log, seen }) =>
        fc.asyncProperty(requestArb, async (req) => {
          const request = toRequest(req);
          fc.pre(request !== null);
          if (request === null) return;
          const [simBefore, heads] = await Promise.all([simCounters(), chainHeads(fixtures.chains)]);
          log.take();
          const answer = await send(request);
          const logs = log.take();
          seen(answer);
          const [simAfter, appended] = await Promise.all([simCounters(), appendedSince(heads)]);
          const isMcp = /^\/agent\/mcp$/.test(req.path);
          const violations = commonViolations({
            request,
            requestText: requestText(req),
            answer,
            logs,
            sim: { before: simBefore, after: simAfter },
            scan: { secrets: fixtures.keys },
            jsonRpc: isMcp,
          });
          if (isMcp && request.method !== 'HEAD') violations.push(...mcpShapeViolations(request, answer));
          const requestId = answer.headers.get('cko-request-id');
          if (strayEntries(appended, requestId).length)
            violations.push('audit entries appended for another request');
          if (answer.status >= 400 && answer.status < 500) {
            violations.push(...refusalAuditViolations(appended, requestId));
            if (simAfter.total !== simBefore.total)
              violations.push('a refused message reached the simulator');
          }
          assertClean(violations, req, answer);
        }),
      propertyOptions(RUNS),
    );
  });
});
