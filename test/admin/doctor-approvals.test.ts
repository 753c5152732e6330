import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { approvalsCheck } from '../../src/admin/doctor/approvals';

const PRODUCTION = { CHECKOUT_API_BASE: 'https://abc123.api.checkout.com' };

function check(vars: Record<string, string>) {
  return approvalsCheck({ ...env, ...vars } as Env);
}

describe('doctor: approvals', () => {
  it('passes the dev bearer approval in development only', () => {
    expect(check({ APPROVALS_ALLOW_ADMIN_TOKEN: 'true' })).toMatchObject({ ok: true });
    const prod = check({ ...PRODUCTION, APPROVALS_ALLOW_ADMIN_TOKEN: 'true' });
    expect(prod.ok).toBe(false);
    expect(prod.detail).toContain('APPROVALS_ALLOW_ADMIN_TOKEN=true outside development');
    expect(prod.fix).toContain('remove APPROVALS_ALLOW_ADMIN_TOKEN');
    expect(check(PRODUCTION)).toMatchObject({
      ok: true,
      detail: 'approvers: passkeys only; notifications: off',
    });
  });

  it('fails the break-glass open enrollment outside development, so it is not left on after the repair', () => {
    expect(check({ APPROVERS_OPEN_ENROLLMENT: 'true' })).toMatchObject({ ok: true });
    const prod = check({ ...PRODUCTION, APPROVERS_OPEN_ENROLLMENT: 'true' });
    expect(prod.ok).toBe(false);
    expect(prod.detail).toContain('APPROVERS_OPEN_ENROLLMENT=true outside development');
    expect(prod.fix).toContain('remove APPROVERS_OPEN_ENROLLMENT');
  });

  it('needs a secret (and https outside development) for notifications, never naming the secret', () => {
    const unsigned = check({ ...PRODUCTION, APPROVAL_NOTIFY_URL: 'https://hooks.example/approvals' });
    expect(unsigned.ok).toBe(false);
    expect(unsigned.fix).toContain('wrangler secret put APPROVAL_NOTIFY_SECRET');
    const plain = check({
      ...PRODUCTION,
      APPROVAL_NOTIFY_URL: 'http://hooks.example/approvals',
      APPROVAL_NOTIFY_SECRET: 'a-secret-value',
    });
    expect(plain.ok).toBe(false);
    expect(plain.detail).toContain('not https');
    const good = check({
      ...PRODUCTION,
      APPROVAL_NOTIFY_URL: 'https://hooks.example/approvals',
      APPROVAL_NOTIFY_SECRET: 'a-secret-value',
    });
    expect(good).toMatchObject({ ok: true, detail: 'approvers: passkeys only; notifications: signed, on' });
    expect(JSON.stringify([unsigned, plain, good])).not.toContain('a-secret-value');
  });
});
