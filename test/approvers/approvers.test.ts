import { reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CHALLENGE_TTL_MS } from '../../src/approvers/challenge';
import {
  type Approver,
  call,
  challenge,
  json,
  ORIGIN,
  type RegistrationOptionsAnswer,
  register,
  startRegistration,
  warmUp,
} from './support/api';
import { SoftAuthenticator } from './support/soft-authenticator';

beforeAll(() => warmUp(), 60_000);
afterEach(() => reset());

interface ErrorBody {
  error_type: string;
  error_codes: string[];
  message?: string;
}

interface ApproverList {
  data: Array<Record<string, unknown>>;
  total_count: number;
  enrollment: string;
}

async function errorOf(res: Response): Promise<{ status: number } & ErrorBody> {
  return { status: res.status, ...(await json<ErrorBody>(res)) };
}

async function testPasskey(a: Approver, bad: Parameters<SoftAuthenticator['assert']>[2] = {}) {
  const options = await challenge(a.id, 'test', a);
  const assertion = await a.authenticator.assert(options, ORIGIN, bad);
  return call(`/admin/approvers/${a.id}/test`, { body: { assertion } });
}

describe('approvers: registration', () => {
  it('registers the first approver with the admin credential alone: user verification required, RP id the host', async () => {
    const options = await json<RegistrationOptionsAnswer>(
      await call('/admin/approvers/registration-options', { body: { name: 'Ada Lovelace' } }),
    );
    expect(options.enrollment).toBe('first');
    expect(options.approver_id).toMatch(/^apr_[a-z2-7]{26}$/);
    expect(options.registration).toMatchObject({
      rp: { id: 'localhost' },
      user: { name: 'Ada Lovelace', displayName: 'Ada Lovelace' },
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      excludeCredentials: [],
      attestation: 'none',
    });
    const authenticator = await SoftAuthenticator.create();
    const registration = await authenticator.register(options.registration, ORIGIN);
    const res = await call('/admin/approvers', { body: { name: 'Ada Lovelace', registration } });
    expect(res.status).toBe(201);
    const view = await json(res);
    expect(view).toMatchObject({
      id: options.approver_id,
      name: 'Ada Lovelace',
      credential_id: authenticator.id,
      status: 'active',
      rp_id: 'localhost',
      transports: ['internal'],
      last_used_at: null,
    });
    expect(view).not.toHaveProperty('public_key');

    // The challenge was single-use: the same registration again is refused.
    const again = await errorOf(
      await call('/admin/approvers', { body: { name: 'Ada Lovelace', registration } }),
    );
    expect(again).toMatchObject({ status: 422, error_codes: ['challenge_invalid'] });

    const list = await json<ApproverList>(await call('/admin/approvers'));
    expect(list.total_count).toBe(1);
    expect(list.enrollment).toBe('sponsored');
    expect(list.data[0]).toMatchObject({ id: options.approver_id, name: 'Ada Lovelace' });
  });

  it('refuses an IP address as the host (WebAuthn needs a domain), naming localhost instead', async () => {
    const res = await call('/admin/approvers/registration-options', {
      body: { name: 'Ada' },
      base: 'http://127.0.0.1:8787',
    });
    const err = await errorOf(res);
    expect(err).toMatchObject({ status: 422, error_codes: ['rp_id_invalid'] });
    expect(err.message).toContain('http://localhost:8787/admin');
  });

  it('refuses registrations that do not verify: no user verification, another origin, another name, bad input', async () => {
    const options = async (name: string) =>
      json<RegistrationOptionsAnswer>(
        await call('/admin/approvers/registration-options', { body: { name } }),
      );
    const a = await SoftAuthenticator.create();
    const noUv = await a.register((await options('Ada')).registration, ORIGIN, { noUserVerification: true });
    expect(
      await errorOf(await call('/admin/approvers', { body: { name: 'Ada', registration: noUv } })),
    ).toMatchObject({ status: 422, error_codes: ['registration_invalid'] });
    const elsewhere = await a.register((await options('Ada')).registration, ORIGIN, {
      origin: 'https://evil.example',
    });
    expect(
      await errorOf(await call('/admin/approvers', { body: { name: 'Ada', registration: elsewhere } })),
    ).toMatchObject({ status: 422, error_codes: ['registration_invalid'] });
    const renamed = await a.register((await options('Ada')).registration, ORIGIN);
    expect(
      await errorOf(await call('/admin/approvers', { body: { name: 'Mallory', registration: renamed } })),
    ).toMatchObject({ status: 422, error_codes: ['name_invalid'] });
    expect(
      await errorOf(await call('/admin/approvers', { body: { name: 'Ada', registration: { id: 'x' } } })),
    ).toMatchObject({ status: 422, error_type: 'request_invalid' });
    expect(
      await errorOf(await call('/admin/approvers/registration-options', { body: { name: '' } })),
    ).toMatchObject({ status: 422, error_codes: ['name_invalid'] });
    expect((await json<ApproverList>(await call('/admin/approvers'))).total_count).toBe(0);
  });

  it('once approvers exist, a new one waits for an existing approver’s passkey: a stolen admin token cannot add its own', async () => {
    const ada = await register('Ada');
    const { res, options } = await startRegistration('Mallory');
    expect(options.enrollment).toBe('sponsored');
    expect(options.registration.excludeCredentials).toEqual([
      { id: ada.authenticator.id, type: 'public-key', transports: ['internal'] },
    ]);
    expect(res.status).toBe(202);
    const pending = await json(res);
    expect(pending).toMatchObject({ id: options.approver_id, status: 'awaiting_sponsor' });
    expect(typeof pending.consent_expires_at).toBe('string');
    // Pending: not listed, cannot sponsor itself, cannot be asked for a test (or an approval).
    expect((await json<ApproverList>(await call('/admin/approvers'))).total_count).toBe(1);
    const self = await call(`/admin/approvers/${options.approver_id}/challenge`, {
      body: { approver_id: options.approver_id, purpose: 'sponsor' },
    });
    expect(await errorOf(self)).toMatchObject({ status: 404, error_codes: ['approver_not_found'] });
    const tested = await call(`/admin/approvers/${options.approver_id}/challenge`, {
      body: { approver_id: options.approver_id, purpose: 'test' },
    });
    expect(tested.status).toBe(404);
    // The consent route without a passkey: refused.
    expect(
      (await call(`/admin/approvers/${options.approver_id}/sponsor`, { body: { approver_id: ada.id } }))
        .status,
    ).toBe(422);

    // With Ada's consent: registered. Two different approvers, each with a passkey of their own.
    const grace = await register('Grace', ada);
    const list = await json<ApproverList>(await call('/admin/approvers'));
    expect(list.data.map((a) => a.name)).toEqual(['Ada', 'Grace']);
    expect(grace.id).not.toBe(ada.id);
  });

  it('a sponsor’s consent counts only for the registration it was issued for', async () => {
    const ada = await register('Ada');
    const first = await startRegistration('Grace');
    const second = await startRegistration('Grace');
    expect([first.res.status, second.res.status]).toEqual([202, 202]);
    // Ada consents to the first registration; that consent is presented for the second one.
    const options = await challenge(first.options.approver_id, 'sponsor', ada);
    const consent = await ada.authenticator.assert(options, ORIGIN);
    const res = await call(`/admin/approvers/${second.options.approver_id}/sponsor`, {
      body: { approver_id: ada.id, assertion: consent },
    });
    expect(await errorOf(res)).toMatchObject({
      status: 403,
      error_codes: ['approver_verification_failed', 'challenge_mismatch'],
    });
    expect((await json<ApproverList>(await call('/admin/approvers'))).total_count).toBe(1);
  });

  it('one passkey is never two approvers (409), even under open enrollment', async () => {
    const open = { APPROVERS_OPEN_ENROLLMENT: 'true' };
    const ada = await register('Ada', undefined, open);
    const options = await json<RegistrationOptionsAnswer>(
      await call('/admin/approvers/registration-options', { body: { name: 'Ada again' } }, open),
    );
    expect(options.enrollment).toBe('open');
    const registration = await ada.authenticator.register(options.registration, ORIGIN);
    expect(
      await errorOf(await call('/admin/approvers', { body: { name: 'Ada again', registration } }, open)),
    ).toMatchObject({ status: 409, error_codes: ['credential_already_registered'] });
    // Open enrollment (the break-glass setting) adds a second approver without a sponsor.
    expect((await startRegistration('Grace', open)).res.status).toBe(201);
    expect((await json<ApproverList>(await call('/admin/approvers'))).total_count).toBe(2);
  });
});

describe('approvers: testing a passkey', () => {
  it('verifies a user-verified assertion over a fresh challenge and records its use', async () => {
    const ada = await register('Ada');
    const res = await testPasskey(ada);
    expect(res.status).toBe(200);
    const body = await json<{ verified: boolean; approver: { last_used_at: string | null } }>(res);
    expect(body.verified).toBe(true);
    expect(body.approver.last_used_at).not.toBeNull();
  });

  it('refuses: no user verification, another origin, a replayed or foreign challenge, another passkey, a counter gone back', async () => {
    const ada = await register('Ada');
    const grace = await register('Grace', ada);
    const reason = async (res: Response) => (await errorOf(res)).error_codes;

    expect(await reason(await testPasskey(ada, { noUserVerification: true }))).toEqual([
      'approver_verification_failed',
      'user_verification_required',
    ]);
    expect(await reason(await testPasskey(ada, { origin: 'https://evil.example' }))).toEqual([
      'approver_verification_failed',
      'signature_invalid',
    ]);

    // A good answer, replayed: the challenge was spent.
    const options = await challenge(ada.id, 'test', ada);
    const assertion = await ada.authenticator.assert(options, ORIGIN);
    expect((await call(`/admin/approvers/${ada.id}/test`, { body: { assertion } })).status).toBe(200);
    expect(await reason(await call(`/admin/approvers/${ada.id}/test`, { body: { assertion } }))).toEqual([
      'approver_verification_failed',
      'challenge_invalid',
    ]);

    // Grace's test challenge answered for Ada: bound to another approver.
    const graces = await challenge(grace.id, 'test', grace);
    const crossed = await ada.authenticator.assert(graces, ORIGIN);
    expect(
      await reason(await call(`/admin/approvers/${ada.id}/test`, { body: { assertion: crossed } })),
    ).toEqual(['approver_verification_failed', 'challenge_mismatch']);

    // Grace's passkey answering Ada's challenge.
    const adas = await challenge(ada.id, 'test', ada);
    const other = await grace.authenticator.assert(adas, ORIGIN);
    expect(
      await reason(await call(`/admin/approvers/${ada.id}/test`, { body: { assertion: other } })),
    ).toEqual(['approver_verification_failed', 'credential_mismatch']);

    // A counter that went back (a cloned authenticator).
    expect(await reason(await testPasskey(ada, { counter: 1 }))).toEqual([
      'approver_verification_failed',
      'counter_invalid',
    ]);
    // None of these refusals signed anyone out (403, never 401).
  });

  it('a challenge expires after its time to live, and is gone once taken', async () => {
    const store = env.APPROVERS.getByName('expiry-test');
    const now = Date.now();
    const row = {
      challenge: 'c1',
      purpose: 'test' as const,
      subject: 'x',
      nonce: 'n',
      approver_id: 'apr_x',
      rp_id: 'localhost',
      expires_at: now + CHALLENGE_TTL_MS,
    };
    await store.putChallenges([row, { ...row, challenge: 'c2' }], now);
    expect(await store.takeChallenge('c1', now + CHALLENGE_TTL_MS)).toBeNull();
    expect(await store.takeChallenge('c2', now + CHALLENGE_TTL_MS - 1)).toMatchObject({ challenge: 'c2' });
    expect(await store.takeChallenge('c2', now)).toBeNull();
  });

  it('a pending approver’s consent window closes after its time to live', async () => {
    const store = env.APPROVERS.getByName('pending-test');
    const now = Date.now();
    const record = {
      id: 'apr_pending',
      name: 'P',
      credential_id: 'cred',
      public_key: new Uint8Array([1, 2, 3]),
      counter: 0,
      transports: [],
      rp_id: 'localhost',
      device_type: 'singleDevice',
      backed_up: false,
      created_at: now,
      last_used_at: null,
    };
    expect(await store.add(record, { first: false, pendingUntil: now + CHALLENGE_TTL_MS }, now)).toBe(
      'pending',
    );
    expect(await store.get('apr_pending')).toBeNull();
    expect(await store.getPending('apr_pending', now + CHALLENGE_TTL_MS)).toBeNull();
    expect(await store.activate('apr_pending', now + CHALLENGE_TTL_MS)).toBe(false);
    // Its credential stays taken until then; afterwards the row is pruned and the credential free again.
    expect(await store.add({ ...record, id: 'apr_other' }, { first: false, pendingUntil: null }, now)).toBe(
      'credential_exists',
    );
    expect(
      await store.add(
        { ...record, id: 'apr_other' },
        { first: false, pendingUntil: null },
        now + CHALLENGE_TTL_MS,
      ),
    ).toBe('added');
  });
});

describe('approvers: removal', () => {
  it('needs an approver’s passkey; removing the last one reopens first enrollment', async () => {
    const ada = await register('Ada');
    const grace = await register('Grace', ada);
    expect(await errorOf(await call(`/admin/approvers/${ada.id}`, { method: 'DELETE' }))).toMatchObject({
      status: 403,
      error_codes: ['passkey_required'],
    });
    // Grace consents to removing Ada.
    const options = await challenge(ada.id, 'remove', grace);
    const assertion = await grace.authenticator.assert(options, ORIGIN);
    const res = await call(`/admin/approvers/${ada.id}`, {
      method: 'DELETE',
      body: { approver_id: grace.id, assertion },
    });
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ id: ada.id, removed: true });
    // A removal challenge does not remove anyone else.
    const forAda = await challenge(grace.id, 'remove', grace);
    const misused = await grace.authenticator.assert(forAda, ORIGIN);
    expect(
      (
        await call(`/admin/approvers/${ada.id}`, {
          method: 'DELETE',
          body: { approver_id: grace.id, assertion: misused },
        })
      ).status,
    ).toBe(403);

    const last = await challenge(grace.id, 'remove', grace);
    const self = await grace.authenticator.assert(last, ORIGIN);
    expect(
      (
        await call(`/admin/approvers/${grace.id}`, {
          method: 'DELETE',
          body: { approver_id: grace.id, assertion: self },
        })
      ).status,
    ).toBe(200);
    const list = await json<ApproverList>(await call('/admin/approvers'));
    expect(list).toMatchObject({ total_count: 0, enrollment: 'first' });
  });

  it('an unknown approver is a 404; under open enrollment removal needs no passkey', async () => {
    expect(
      (
        await call(
          '/admin/approvers/apr_aaaaaaaaaaaaaaaaaaaaaaaaaa',
          { method: 'DELETE' },
          { APPROVERS_OPEN_ENROLLMENT: 'true' },
        )
      ).status,
    ).toBe(404);
    expect(
      (await call('/admin/approvers/nope/challenge', { body: { approver_id: 'x', purpose: 'test' } })).status,
    ).toBe(404);
    const ada = await register('Ada');
    const res = await call(
      `/admin/approvers/${ada.id}`,
      { method: 'DELETE' },
      { APPROVERS_OPEN_ENROLLMENT: 'true' },
    );
    expect(res.status).toBe(200);
  });
});
