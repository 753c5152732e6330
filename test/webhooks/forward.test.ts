import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { buildForwardRequest, decodeSecret, forwardConfig } from '../../src/webhooks/forward';

const enc = new TextEncoder();

/** Standard Webhooks verification, written here from the spec rather than reusing Bollard's signer. */
async function verifyStandard(secret: string, req: Request, body: string): Promise<boolean> {
  const id = req.headers.get('webhook-id') ?? '';
  const ts = req.headers.get('webhook-timestamp') ?? '';
  const key = Uint8Array.from(atob(secret.replace(/^whsec_/, '')), (c) => c.charCodeAt(0));
  const k = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', k, enc.encode(`${id}.${ts}.${body}`)));
  const expected = `v1,${btoa(String.fromCharCode(...mac))}`;
  return (req.headers.get('webhook-signature') ?? '').split(' ').includes(expected);
}

describe('forwarding, Standard Webhooks style', () => {
  const secret = `whsec_${btoa('a-32-byte-forwarding-secret-here')}`;

  it('re-signs the delivered bytes with id, timestamp and a v1 signature a standard verifier accepts', async () => {
    const body = '{"id":"evt_abc","type":"payment_captured","data":{"id":"pay_x","amount":5}}';
    const now = Date.UTC(2026, 10, 24, 10, 0, 0);
    const req = await buildForwardRequest(
      { url: 'https://merchant.example/hooks', secret: decodeSecret(secret) },
      'evt_abc',
      body,
      now,
    );
    expect(req.method).toBe('POST');
    expect(req.headers.get('webhook-id')).toBe('evt_abc');
    expect(req.headers.get('webhook-timestamp')).toBe(String(now / 1000));
    expect(await req.clone().text()).toBe(body);
    expect(await verifyStandard(secret, req, body)).toBe(true);
    // A replayed message with a new timestamp but the old signature does not verify.
    const replayed = new Request(req, { headers: new Headers(req.headers) });
    replayed.headers.set('webhook-timestamp', String(now / 1000 + 600));
    expect(await verifyStandard(secret, replayed, body)).toBe(false);
  });

  it('is off unless both the URL and the secret are configured', () => {
    expect(forwardConfig(env)).toBeNull();
    expect(forwardConfig({ ...env, WEBHOOK_FORWARD_URL: 'https://m.example' } as Env)).toBeNull();
    expect(
      forwardConfig({
        ...env,
        WEBHOOK_FORWARD_URL: 'https://m.example',
        WEBHOOK_FORWARD_SECRET: secret,
      } as Env),
    ).toMatchObject({ url: 'https://m.example' });
  });
});
