/**
 * A webhook receiver for the simulator's tests, run by Miniflare as an auxiliary Worker. The simulator's
 * outbound `fetch` is routed here (`outboundService` in vitest.config.ts), so a delivery is a real HTTP
 * request through the runtime to whatever URL a workflow names; the sink records the exact bytes.
 *
 * Answers, by path: `/status/<code>/...` always answers <code>; `/fail/<n>/...` answers 503 to the first
 * n requests for that URL, then 200; anything else 200. The control host `sink.control` serves
 * `GET /log?prefix=/path` → `{ requests: [{ url, headers, body_base64, status }] }` (oldest first).
 */
interface Received {
  url: string;
  headers: Record<string, string>;
  body_base64: string;
  status: number;
}

const received: Received[] = [];
const seen = new Map<string, number>();

function statusFor(url: URL, count: number): number {
  const parts = url.pathname.split('/');
  const i = parts.indexOf('status');
  if (i !== -1) return Number(parts[i + 1]) || 500;
  const f = parts.indexOf('fail');
  if (f !== -1) return count <= (Number(parts[f + 1]) || 0) ? 503 : 200;
  return 200;
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.hostname === 'sink.control') {
      const prefix = url.searchParams.get('prefix') ?? '/';
      return Response.json({ requests: received.filter((r) => new URL(r.url).pathname.startsWith(prefix)) });
    }
    const count = (seen.get(request.url) ?? 0) + 1;
    seen.set(request.url, count);
    const status = statusFor(url, count);
    const body = new Uint8Array(await request.arrayBuffer());
    received.push({
      url: request.url,
      headers: Object.fromEntries(request.headers),
      body_base64: base64(body),
      status,
    });
    return new Response(status < 300 ? 'ok' : 'no', { status });
  },
};
