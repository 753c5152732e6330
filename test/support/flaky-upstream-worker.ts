/**
 * An upstream that misbehaves on purpose, for the outbound client's tests. It runs as an auxiliary Worker
 * (bundled by scripts/build-sim.ts) behind the FLAKY_UPSTREAM service binding.
 *
 * A test scripts a run, then points the client at `http://flaky.test/runs/{run}`:
 *   PUT  /_flaky/runs/{run}   { steps: Step[] }   answers attempt i with steps[min(i, last)]
 *   GET  /_flaky/runs/{run}   { attempts: RecordedAttempt[] }   every attempt seen, headers included
 * Requests to other hosts (host-routing tests) name their run in an `x-flaky-run` header instead.
 */

export type Step =
  | {
      status?: number;
      headers?: Record<string, string>;
      /** JSON body. */
      json?: unknown;
      /** Raw body text (e.g. malformed JSON). */
      raw?: string;
      /** Waits this long before answering (a hang past the client's timeout). */
      delayMs?: number;
      /** Sends headers and part of the body, then breaks the stream (a dropped connection). */
      drop?: boolean;
    }
  | {
      /** A `limit`/`skip` list of `items` items; `reportedTotal` is the `total_count` it claims. */
      list: { items: number; reportedTotal?: number | null };
    };

export interface RecordedAttempt {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

interface Run {
  steps: Step[];
  attempts: RecordedAttempt[];
}

const runs = new Map<string, Run>();

function runIdOf(url: URL, headers: Headers): { id: string | null; rest: string } {
  const m = /^\/runs\/([^/]+)(\/.*)?$/.exec(url.pathname);
  if (m?.[1]) return { id: m[1], rest: m[2] ?? '/' };
  return { id: headers.get('x-flaky-run'), rest: url.pathname };
}

async function answer(step: Step, url: URL): Promise<Response> {
  if ('list' in step) {
    const limit = Number(url.searchParams.get('limit') ?? '10');
    const skip = Number(url.searchParams.get('skip') ?? '0');
    const data = [];
    for (let i = skip; i < Math.min(step.list.items, skip + limit); i++) data.push({ id: `item_${i}` });
    const total = step.list.reportedTotal === undefined ? step.list.items : step.list.reportedTotal;
    return Response.json(total === null ? { limit, skip, data } : { limit, skip, total_count: total, data });
  }
  if (step.delayMs) await new Promise((resolve) => setTimeout(resolve, step.delayMs));
  const headers = new Headers(step.headers);
  if (step.drop) {
    // Promises 64 bytes and sends 11: the reader sees the body end early, as when a connection drops.
    // workerd logs the short stream once as an "uncaught exception" line; that line is expected.
    const { readable, writable } = new FixedLengthStream(64);
    const writer = writable.getWriter();
    writer.write(new TextEncoder().encode('{"id":"pay_')).catch(() => {});
    writer.close().catch(() => {});
    headers.set('content-type', 'application/json');
    return new Response(readable, { status: step.status ?? 200, headers });
  }
  if (step.json !== undefined) {
    headers.set('content-type', 'application/json');
    return new Response(JSON.stringify(step.json), { status: step.status ?? 200, headers });
  }
  return new Response(step.raw ?? null, { status: step.status ?? 200, headers });
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const control = /^\/_flaky\/runs\/([^/]+)$/.exec(url.pathname);
    if (control?.[1]) {
      const id = control[1];
      if (request.method === 'PUT') {
        const { steps } = (await request.json()) as { steps: Step[] };
        runs.set(id, { steps, attempts: [] });
        return new Response(null, { status: 204 });
      }
      return Response.json({ attempts: runs.get(id)?.attempts ?? [] });
    }
    const { id } = runIdOf(url, request.headers);
    const run = id ? runs.get(id) : undefined;
    if (!run) return Response.json({ error: 'unknown run' }, { status: 418 });
    const headers: Record<string, string> = {};
    request.headers.forEach((value, key) => {
      headers[key] = value;
    });
    run.attempts.push({ method: request.method, url: request.url, headers, body: await request.text() });
    const step = run.steps[Math.min(run.attempts.length - 1, run.steps.length - 1)];
    return step ? answer(step, url) : new Response(null, { status: 204 });
  },
};
