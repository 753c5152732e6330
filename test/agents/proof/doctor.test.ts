import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../../src/cli/args';
import { doctorCommand } from '../../../src/cli/doctor-command';
import { checkOf, doctor, uniqueUrl } from '../../admin/doctor-helpers';
import { call } from '../helpers';
import { freshPrivateJwk } from './helpers';

/** The doctor's receipt and archive checks (src/agents/proof/doctor-checks.ts), and the CLI's JWKS row. */
describe('bollard doctor: receipts and the audit archive', { timeout: 60_000 }, () => {
  it('development: a generated key passes; the check signs and verifies against the JWKS', async () => {
    const report = await doctor(uniqueUrl());
    const c = checkOf(report, 'receipts');
    expect(c.ok).toBe(true);
    expect(c.detail).toContain('development key generated and kept in KV');
    expect(c.detail).toContain('a test signature verifies against the JWKS');
    expect(checkOf(report, 'audit_archive').ok).toBe(true);
  });

  it('a deployment without the key fails (its answers carry no receipt); so does a malformed one', async () => {
    const url = 'https://bollard.example.com';
    const production = { BOLLARD_PUBLIC_URL: url, CHECKOUT_ENVIRONMENT: 'production' };
    const missing = checkOf(await doctor(url, production), 'receipts');
    expect(missing).toMatchObject({ ok: false });
    expect(missing.detail).toContain('missing: RECEIPT_SIGNING_KEY');
    expect(missing.fix).toContain('wrangler secret put RECEIPT_SIGNING_KEY');

    const jwk = await freshPrivateJwk();
    const { d: _d, ...publicOnly } = jwk;
    const notPrivate = checkOf(
      await doctor(url, { ...production, RECEIPT_SIGNING_KEY: JSON.stringify(publicOnly) }),
      'receipts',
    );
    expect(notPrivate.ok).toBe(false);
    expect(notPrivate.detail).toBe('RECEIPT_SIGNING_KEY has no private member "d": a public key cannot sign');

    const report = await doctor(url, { ...production, RECEIPT_SIGNING_KEY: JSON.stringify(jwk) });
    expect(checkOf(report, 'receipts')).toMatchObject({ ok: true });
    expect(JSON.stringify(report)).not.toContain(jwk.d);
    // Checked at another URL than the one receipts name as their issuer.
    const elsewhere = checkOf(
      await doctor('https://other.example.com', { ...production, RECEIPT_SIGNING_KEY: JSON.stringify(jwk) }),
      'receipts',
    );
    expect(elsewhere.ok).toBe(false);
    expect(elsewhere.detail).toContain('receipts name https://bollard.example.com as their issuer');
  });

  it('a previous key with a private member is refused, not published', async () => {
    const previous = await freshPrivateJwk('old');
    const c = checkOf(
      await doctor(uniqueUrl(), {
        RECEIPT_PREVIOUS_PUBLIC_KEYS: JSON.stringify([{ ...previous, verify_until: '2999-01-01' }]),
      }),
      'receipts',
    );
    expect(c.ok).toBe(false);
    expect(c.detail).toContain('holds a private member "d"');
  });

  it('an unbound archive bucket fails', async () => {
    const c = checkOf(await doctor(uniqueUrl(), { AUDIT_ARCHIVE: undefined }), 'audit_archive');
    expect(c.ok).toBe(false);
    expect(c.detail).toContain('AUDIT_ARCHIVE is not bound');
    expect(checkOf(await doctor(uniqueUrl(), { AUDIT_ARCHIVE: undefined }), 'bindings').detail).toContain(
      'AUDIT_ARCHIVE (R2 bucket)',
    );
  });

  it('the CLI checks the JWKS served to everyone against the key Bollard signs with', async () => {
    const run = async (jwksFor: (real: Response) => Promise<Response>) => {
      let out = '';
      const code = await doctorCommand(parseArgs(['--no-test-event', '--json']), (s) => (out += s), {
        fetch: async (input, init) => {
          const u = new URL(input instanceof Request ? input.url : String(input));
          const res = await call(`${u.pathname}${u.search}`, init);
          return u.pathname === '/.well-known/jwks.json' ? jwksFor(res) : res;
        },
        env: {},
      });
      const rows = (JSON.parse(out) as { checks: Array<{ check: string; ok: boolean; detail: string }> })
        .checks;
      return { code, row: rows.find((r) => r.check === 'receipt_jwks') };
    };
    expect((await run(async (r) => r)).row).toMatchObject({ ok: true });
    const stale = await run(async () =>
      Response.json({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AAAA', kid: 'old' }] }),
    );
    expect(stale.row).toMatchObject({ ok: false });
    expect(stale.code).toBe(1);
    const leaking = await run(async (r) => {
      const doc = (await r.json()) as { keys: Array<Record<string, unknown>> };
      return Response.json({ keys: doc.keys.map((k) => ({ ...k, d: 'x' })) });
    });
    expect(leaking.row?.detail).toContain('publishes a private key member');
  });
});
