import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import type { AgentView } from '../../../src/agents/model/types';
import worker from '../../../workers/bollard/index';
import { simFetcher } from '../../oauth/sim-control';
import { type FuzzBody, headerSafe } from './arbitraries';
import {
  type Answer,
  answerText,
  errorShapeViolations,
  LogCapture,
  pansIn,
  readAnswer,
  type SecretScan,
  secretViolations,
  unexpectedLogLines,
} from './invariants';

export const BASE = 'http://bollard.test';
export const ADMIN_TOKEN = 'bollard_admin_dev';

/** One generated request. Header values of null are left out. */
export interface FuzzRequest {
  method: string;
  /** The path as sent (already percent-encoded where the generator chose to). */
  path: string;
  /** `?…` or empty. */
  query: string;
  headers: Record<string, string | null>;
  body: FuzzBody;
  /** Scheme and host, when not `BASE` (the console's session cookie needs https or a loopback host). */
  base?: string;
}

/** Builds the fetch Request; null when the Fetch API itself refuses the combination. */
export function toRequest(req: FuzzRequest): Request | null {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === null) continue;
    const safe = headerSafe(v);
    if (safe !== null) headers.set(k, safe);
  }
  const method = req.method;
  const withBody = !['GET', 'HEAD'].includes(method.toUpperCase()) && req.body.data !== null;
  try {
    return new Request(`${req.base ?? BASE}${req.path}${req.query}`, {
      method,
      headers,
      ...(withBody ? { body: req.body.data } : {}),
    });
  } catch {
    return null;
  }
}

/** The longest a fuzzed request may take to answer (and to finish its `waitUntil` work). */
const ANSWER_DEADLINE_MS = 15_000;

function deadline<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer within ${ANSWER_DEADLINE_MS} ms`)),
      ANSWER_DEADLINE_MS,
    );
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/**
 * Sends a request to the Bollard Worker's own `fetch` export in this isolate (the deployed handler,
 * minus the pool's loopback, which slows down over hundreds of requests) and waits for its `waitUntil`
 * work (audit records, bookkeeping), so that what it wrote can be compared before and after.
 */
export async function send(request: Request, overrides?: Partial<Env>): Promise<Answer> {
  const ctx = createExecutionContext();
  const run = async () => {
    const res = await worker.fetch(request, overrides ? ({ ...env, ...overrides } as Env) : env, ctx);
    const answer = await readAnswer(res);
    await waitOnExecutionContext(ctx);
    return answer;
  };
  return deadline(run(), `${request.method} ${new URL(request.url).pathname.slice(0, 80)}`);
}

/** Plain admin call (fixtures and fingerprints), outside the fuzzed traffic. */
export async function adminCall(method: string, path: string, json?: unknown): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}` };
  if (json !== undefined) headers['content-type'] = 'application/json';
  return send(
    new Request(`${BASE}${path}`, {
      method,
      headers,
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    }),
  );
}

export interface FuzzAgent extends AgentView {
  key: string;
}

/** The agents a fuzz run holds keys for: each grant shape, and keys that must not work. */
export interface AgentFixtures {
  reader: FuzzAgent;
  writer: FuzzAgent;
  limited: FuzzAgent;
  ungranted: FuzzAgent;
  revoked: FuzzAgent;
  expired: FuzzAgent;
  /** Every key above, and broken ones: a wrong secret for a real agent, an unknown agent, the old format. */
  keys: string[];
  /** Agent ids whose chains a refusal may be recorded in (the fixtures' and `anonymous`). */
  chains: string[];
  /** A well-formed key naming an agent that does not exist. */
  unknownKey: string;
}

async function createAgent(name: string, body: Record<string, unknown>): Promise<FuzzAgent> {
  const res = await adminCall('POST', '/admin/agents', { name, ...body });
  if (res.status !== 201) throw new Error(`fixture ${name}: ${res.status} ${res.text}`);
  return JSON.parse(res.text) as FuzzAgent;
}

export async function agentFixtures(): Promise<AgentFixtures> {
  const all = {
    payments: 'write',
    'sessions-links': 'write',
    'tokens-instruments': 'write',
    customers: 'write',
    disputes: 'write',
    'payouts-balances': 'write',
    workflows: 'write',
  };
  const reader = await createAgent('fuzz reader', { grants: { payments: 'read', disputes: 'read' } });
  const writer = await createAgent('fuzz writer', { grants: all });
  const limited = await createAgent('fuzz limited', {
    grants: { payments: 'write', 'payouts-balances': 'write' },
    limits: { max_amount_per_call: { EUR: 1000 }, max_amount_per_day: { EUR: 2000 }, currencies: ['EUR'] },
  });
  const ungranted = await createAgent('fuzz ungranted', { grants: {} });
  const revoked = await createAgent('fuzz revoked', { grants: all });
  await adminCall('DELETE', `/admin/agents/${revoked.id}`);
  const expired = await createAgent('fuzz expired', { grants: all });
  const patched = await adminCall('PATCH', `/admin/agents/${expired.id}`, {
    expires_at: '2020-01-01T00:00:00Z',
  });
  if (patched.status !== 200) throw new Error(`fixture expired: ${patched.status} ${patched.text}`);
  const wrongSecret = `${writer.key.slice(0, 31)}${'a'.repeat(40)}`;
  const unknownKey = `bak_${'q'.repeat(26)}_${'r'.repeat(40)}`;
  return {
    reader,
    writer,
    limited,
    ungranted,
    revoked,
    expired,
    keys: [
      reader.key,
      writer.key,
      limited.key,
      ungranted.key,
      revoked.key,
      expired.key,
      wrongSecret,
      unknownKey,
    ],
    chains: [reader.id, writer.id, limited.id, ungranted.id, revoked.id, expired.id, 'anonymous'],
    unknownKey,
  };
}

/** `Authorization` values around a credential: schemes in every case, bare, doubled, broken. */
export function authVariants(credential: string): string[] {
  return [
    `Bearer ${credential}`,
    `Bearer ${credential}`,
    `bearer ${credential}`,
    `BEARER ${credential}`,
    credential,
    `Bearer  ${credential}`,
    `Basic ${btoa(`${credential}:`)}`,
    `Bearer ${credential} extra`,
    `Token ${credential}`,
    `Bearer ${credential}x`,
  ];
}

export const BROKEN_AUTH: readonly (string | null)[] = [
  null,
  null,
  '',
  'Bearer',
  'Bearer ',
  'Basic',
  'bearer',
  '   ',
  'Bearer \u00e9',
];

/** What the simulator has done so far: its own counters (`GET /_sim/stats`). */
export interface SimCounters {
  effects: number;
  writes: number;
  total: number;
  /** Faults injected and rate limits applied: non-zero movement means the upstream was made to fail. */
  faulted: number;
}

export async function simCounters(): Promise<SimCounters> {
  const res = await simFetcher().fetch('http://sim/_sim/stats', {
    headers: { authorization: 'Bearer sim_admin_dev' },
  });
  const s = (await res.json()) as {
    requests: { total: number; write: number };
    effects: Record<string, number>;
    faults: Record<string, number>;
    rate_limited: number;
  };
  const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
  return {
    effects: sum(s.effects),
    writes: s.requests.write,
    total: s.requests.total,
    faulted:
      (s.faults.errors ?? 0) +
      (s.faults.drops ?? 0) +
      (s.faults.delays ?? 0) +
      (s.faults.chaos ?? 0) +
      s.rate_limited,
  };
}

/** How many tables an object's SQLite storage holds: 0 for an object nothing was ever written to. */
export function storedTables<T extends Rpc.DurableObjectBranded | undefined>(
  namespace: DurableObjectNamespace<T>,
  name: string,
): Promise<number> {
  return runInDurableObject(namespace.getByName(name) as DurableObjectStub, (_instance, state) => {
    const row = state.storage.sql
      .exec<{ n: number }>(
        "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'",
      )
      .one();
    return row.n;
  });
}

/** Error types an answer may carry only when the simulator was faulted (none is, in these runs). */
const FAULT_TYPES = new Set(['upstream_outcome_unknown', 'upstream_unavailable', 'upstream_error']);

export interface CommonCheck {
  request: Request;
  /** The request's text (URL, headers, body) for the card-number echo check. */
  requestText: string;
  answer: Answer;
  logs: string[];
  sim: { before: SimCounters; after: SimCounters };
  scan?: SecretScan;
  /** The surface answers protocol errors in another shape (MCP: JSON-RPC). */
  jsonRpc?: boolean;
  /** The gateway passes Checkout.com's own 4xx through (with `X-Upstream-Request-Id`). */
  passthrough?: boolean;
}

/** The invariants every surface keeps, whatever it was sent. */
export function commonViolations(c: CommonCheck): string[] {
  const out: string[] = [];
  const { answer } = c;
  const faulted = c.sim.after.faulted > c.sim.before.faulted;
  if (answer.status >= 500) {
    let type = '';
    try {
      type = String((JSON.parse(answer.text) as { error_type?: unknown }).error_type ?? '');
    } catch {
      // not JSON: reported below
    }
    if (!(faulted && FAULT_TYPES.has(type))) out.push(`5xx answer ${answer.status} ${type}`);
  }
  const upstreamAnswered = c.passthrough === true && answer.headers.has('x-upstream-request-id');
  if (
    answer.status >= 400 &&
    c.request.method !== 'HEAD' &&
    !c.jsonRpc &&
    !(upstreamAnswered && answer.text === '')
  ) {
    const shape = errorShapeViolations(answer);
    out.push(...(upstreamAnswered ? shape.filter((v) => !v.includes('Cko-Request-Id')) : shape));
  }
  if (answer.status >= 400 && answer.status < 500 && c.sim.after.effects !== c.sim.before.effects)
    out.push(
      `a ${answer.status} answer, but the simulator processed a write (effects ${c.sim.before.effects} → ${c.sim.after.effects})`,
    );
  const scan: SecretScan = { ...c.scan, requestPans: pansIn(c.requestText) };
  out.push(...secretViolations('the answer', answerText(answer), scan));
  const logText = c.logs.join('\n');
  out.push(...secretViolations('the logs', logText, { ...scan, allowAgentKey: false }));
  for (const line of unexpectedLogLines(c.logs)) out.push(`unexpected log line: ${line.slice(0, 300)}`);
  return out;
}

/** The request as text: URL, headers and (decoded, lossy) body, for the echo checks. */
export function requestText(req: FuzzRequest): string {
  const body =
    req.body.data === null
      ? ''
      : typeof req.body.data === 'string'
        ? req.body.data
        : new TextDecoder().decode(req.body.data);
  let url = `${req.path}${req.query}`;
  try {
    url += `\n${decodeURIComponent(url)}`;
  } catch {
    // not decodable: the raw form is enough
  }
  return `${url}\n${Object.values(req.headers).join('\n')}\n${body}`;
}

/** Fails the property with every violation and enough of the exchange to reproduce it. */
export function assertClean(violations: string[], req: FuzzRequest, answer: Answer): void {
  if (violations.length === 0) return;
  throw new Error(
    `${violations.join('\n')}\n— ${req.method} ${req.path.slice(0, 200)}${req.query.slice(0, 200)} body=${String(
      (req.body as unknown as Record<symbol, () => string>)[fc.toStringMethod]?.() ?? req.body.kind,
    )}\n— answered ${answer.status}: ${answer.text.slice(0, 400)}`,
  );
}

/** What a fuzz property gets: the log capture, and a tally of the statuses it saw (for the summary). */
export interface FuzzRun {
  log: LogCapture;
  seen(answer: Answer): void;
}

/** `status` or `status:first error code`, for the run's summary. */
function outcomeOf(answer: Answer): string {
  if (answer.status < 400) return String(answer.status);
  try {
    const body = JSON.parse(answer.text) as { error_codes?: unknown; error?: { code?: unknown } };
    const code = Array.isArray(body.error_codes) ? body.error_codes[0] : body.error?.code;
    return code === undefined ? String(answer.status) : `${answer.status}:${String(code)}`;
  } catch {
    return String(answer.status);
  }
}

/** Runs a property with the log capture on, and prints how many requests it sent, how long and what came back. */
export async function runFuzz<R extends FuzzRequest>(
  name: string,
  property: (run: FuzzRun) => fc.IAsyncPropertyWithHooks<[R]>,
  params: fc.Parameters<[R]>,
): Promise<void> {
  const log = new LogCapture().start();
  const outcomes = new Map<string, number>();
  const started = Date.now();
  let count = 0;
  const counted = property({
    log,
    seen: (answer) => {
      const o = outcomeOf(answer);
      outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
    },
  }).beforeEach((prev) => {
    count++;
    prev();
  });
  try {
    await fc.assert(counted, params);
  } finally {
    log.stop();
    const tally = [...outcomes].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}×${n}`);
    console.info(
      `fuzz ${name}: ${count} requests in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${params.seed}): ${tally.join(' ')}`,
    );
  }
}
