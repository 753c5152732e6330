/**
 * Dropped connections. The account object cannot cut a socket, so it answers with a marker (the header
 * below, `before` or `after`) and the Worker entry turns that into the nearest thing to a cut connection
 * each way of reaching the simulator allows:
 *
 * - from another Worker (a service binding, `ctx.exports`: no `request.cf`): the entry throws, and in
 *   workerd the caller's `fetch()` rejects with no status at all — exactly a cut connection;
 * - over HTTP (`wrangler dev`: `request.cf` is set): a throw would become the dev server's 500 page, and a
 *   body stream that errors becomes a clean, empty 200. What survives is a body shorter than its declared
 *   length: the client gets the status line and then the connection closes mid-body ("transfer closed
 *   with 64 bytes remaining"), so any client reading the body sees a network error;
 * - `npm start` puts a loopback proxy in front (`scripts/sim-network.ts`) that sees the header and closes
 *   the client's socket before writing a byte: every client sees a cut connection and no status.
 */
export const DROP_HEADER = 'x-sim-drop-connection';

export type DropWhen = 'before' | 'after';

/** The object's answer for a dropped request: `before` → 500 (nothing happened); `after` → its real status. */
export function dropMarker(status: number, when: DropWhen): Response {
  return new Response(null, { status, headers: { [DROP_HEADER]: when } });
}

/** The error a Worker caller's `fetch()` rejects with. */
export class ConnectionDropped extends Error {
  override readonly name = 'ConnectionDropped';
  constructor(when: string) {
    super(`checkout-sim: connection dropped (${when} processing)`);
  }
}

/** Declared body length of a cut HTTP answer; none of it is ever sent. */
const DECLARED_LENGTH = 64;
/** Statuses that may not carry a body (a cut body needs one). */
const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * Turns the object's drop marker into the entry's answer (see the module comment). The body is
 * `application/octet-stream` on purpose: the dev server gzips compressible types for clients that accept
 * it, and a re-encoded body loses its declared length, so the cut would arrive as a clean empty answer.
 */
export function cutConnection(request: Request, marker: Response, ctx: ExecutionContext): Response {
  const when = marker.headers.get(DROP_HEADER) ?? 'before';
  if (request.cf === undefined) throw new ConnectionDropped(when);
  const { readable, writable } = new FixedLengthStream(DECLARED_LENGTH);
  ctx.waitUntil(writable.abort(new ConnectionDropped(when)).catch(() => undefined));
  return new Response(readable, {
    status: NULL_BODY.has(marker.status) ? 200 : marker.status,
    headers: { [DROP_HEADER]: when, 'Content-Type': 'application/octet-stream' },
  });
}
