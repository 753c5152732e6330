import { BollardError } from '../http';

/** Largest delivery accepted. Real events are a few KiB; the guide states no limit, so bound it. */
export const MAX_WEBHOOK_BODY_BYTES = 256 * 1024;

/**
 * Reads the request body exactly once, as bytes (the signature covers the exact bytes; re-serialised
 * JSON would differ), stopping as soon as it passes `limit` — a declared or streamed (chunked) oversize
 * body is a 413 before anything is verified or stored.
 */
export async function readBodyCapped(
  req: Request,
  limit = MAX_WEBHOOK_BODY_BYTES,
): Promise<Uint8Array<ArrayBuffer>> {
  const tooLarge = () =>
    new BollardError('payload_too_large', {
      codes: ['body_too_large'],
      message: `the body exceeds ${limit} bytes`,
    });
  const declared = Number(req.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  if (!req.body) return new Uint8Array(0);
  if (Number.isFinite(declared)) {
    // A declared length within the limit (every delivery Checkout.com sends): the runtime holds the body
    // to it, so read it whole, which costs far less than chunk by chunk. The check after is belt and braces.
    const whole = new Uint8Array(await req.arrayBuffer());
    if (whole.byteLength > limit) throw tooLarge();
    return whole;
  }
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}
