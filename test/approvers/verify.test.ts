import { reset } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { Hono } from 'hono';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { approvalChallenge } from '../../src/approvers/challenge';
import type { ApproverClaim } from '../../src/approvers/types';
import { verifyApprover } from '../../src/approvers/verify';
import { type AppEnv, errorHandler, requestContext } from '../../src/http';
import { type Approver, ORIGIN, register, warmUp } from './support/api';
import type { RequestOptions } from './support/soft-authenticator';

beforeAll(() => warmUp(), 60_000);
afterEach(() => reset());

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

/**
 * What the approvals routes do with this module (src/agents/admin/approvals-routes.ts): look the approval
 * up, then `approvalChallenge` for its challenge and `verifyApprover` for a decision. Here the approval is
 * the path's id with a request hash from the query, and the admin principal is set as the guard would.
 */
function approvalsApp(via: 'token' | 'session' = 'token') {
  const app = new Hono<AppEnv>();
  app.use('*', requestContext());
  app.onError(errorHandler);
  app.use('*', async (c, next) => {
    c.set('adminVia', via);
    await next();
  });
  const hash = (c: { req: { query: (k: string) => string | undefined } }) => c.req.query('hash') ?? HASH_A;
  app.post('/approvals/:id/challenge', async (c) =>
    c.json(await approvalChallenge(c, c.req.param('id'), hash(c), await c.req.json())),
  );
  app.post('/approvals/:id/approve', async (c) =>
    c.json(await verifyApprover(c, c.req.param('id'), hash(c), (await c.req.json()) as ApproverClaim)),
  );
  return app;
}

async function post(
  path: string,
  body: unknown,
  options: { via?: 'token' | 'session'; overrides?: Partial<Record<keyof Env, string>> } = {},
) {
  const res = await approvalsApp(options.via).request(
    `${ORIGIN}${path}`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    { ...env, ...options.overrides } as Env,
  );
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function approve(approvalId: string, by: Approver, hash = HASH_A, signHash = hash) {
  const options = await post(`/approvals/${approvalId}/challenge?hash=${signHash}`, { approver_id: by.id });
  expect(options.status).toBe(200);
  const assertion = await by.authenticator.assert(options.body as unknown as RequestOptions, ORIGIN);
  return post(`/approvals/${approvalId}/approve?hash=${hash}`, { approver_id: by.id, assertion });
}

describe('verifyApprover', () => {
  it('a passkey assertion over the approval’s own challenge proves the approver, with the credential', async () => {
    const ada = await register('Ada');
    const options = await post('/approvals/apv_1/challenge', { approver_id: ada.id });
    expect(options.body).toMatchObject({
      rpId: 'localhost',
      userVerification: 'required',
      allowCredentials: [{ id: ada.authenticator.id, type: 'public-key' }],
    });
    const assertion = await ada.authenticator.assert(options.body as unknown as RequestOptions, ORIGIN);
    const proof = await post('/approvals/apv_1/approve', { approver_id: ada.id, assertion });
    expect(proof).toEqual({
      status: 200,
      body: {
        approver_id: ada.id,
        approver_name: 'Ada',
        credential_id: ada.authenticator.id,
        via: 'passkey',
      },
    });
  });

  it('two different approvers each prove separately', async () => {
    const ada = await register('Ada');
    const grace = await register('Grace', ada);
    const first = await approve('apv_2', ada);
    const second = await approve('apv_2', grace);
    expect(first.body.approver_id).toBe(ada.id);
    expect(second.body.approver_id).toBe(grace.id);
    expect(second.body.credential_id).toBe(grace.authenticator.id);
  });

  it('an assertion is bound to its approval id and request hash', async () => {
    const ada = await register('Ada');
    // Signed for apv_3, presented for apv_4.
    const options = await post('/approvals/apv_3/challenge', { approver_id: ada.id });
    const assertion = await ada.authenticator.assert(options.body as unknown as RequestOptions, ORIGIN);
    const other = await post('/approvals/apv_4/approve', { approver_id: ada.id, assertion });
    expect(other).toMatchObject({
      status: 403,
      body: { error_codes: ['approver_verification_failed', 'challenge_mismatch'] },
    });
    // Signed over one request hash, presented for another (a changed request).
    const changed = await approve('apv_5', ada, HASH_B, HASH_A);
    expect(changed).toMatchObject({
      status: 403,
      body: { error_codes: ['approver_verification_failed', 'challenge_mismatch'] },
    });
    // Another approver's id with Ada's passkey.
    const grace = await register('Grace', ada);
    const forGrace = await post('/approvals/apv_6/challenge', { approver_id: grace.id });
    const wrong = await ada.authenticator.assert(forGrace.body as unknown as RequestOptions, ORIGIN);
    expect(await post('/approvals/apv_6/approve', { approver_id: grace.id, assertion: wrong })).toMatchObject(
      {
        status: 403,
        body: { error_codes: ['approver_verification_failed', 'credential_mismatch'] },
      },
    );
  });

  it('no passkey, no approval: the admin token alone is refused unless the dev setting allows it', async () => {
    const ada = await register('Ada');
    expect(await post('/approvals/apv_7/approve', { approver_id: ada.id })).toMatchObject({
      status: 403,
      body: { error_codes: ['passkey_required'] },
    });
    expect(await post('/approvals/apv_7/approve', { approver_id: 'dev' })).toMatchObject({
      status: 403,
      body: { error_codes: ['passkey_required'] },
    });
    const dev = { APPROVALS_ALLOW_ADMIN_TOKEN: 'true' };
    expect(await post('/approvals/apv_7/approve', { approver_id: 'dev' }, { overrides: dev })).toEqual({
      status: 200,
      body: {
        approver_id: 'dev',
        approver_name: 'Development approver (admin token)',
        credential_id: null,
        via: 'dev_bearer',
      },
    });
    // The dev setting covers the bearer token only, not a console session.
    expect(
      await post('/approvals/apv_7/approve', { approver_id: 'dev' }, { overrides: dev, via: 'session' }),
    ).toMatchObject({
      status: 403,
      body: { error_codes: ['passkey_required'] },
    });
    expect(await post('/approvals/apv_7/approve', { approver_id: 'nobody', assertion: {} })).toMatchObject({
      status: 422,
      body: { error_codes: ['approver_id_invalid'] },
    });
    expect(
      await post('/approvals/apv_7/challenge', { approver_id: 'apr_aaaaaaaaaaaaaaaaaaaaaaaaaa' }),
    ).toMatchObject({
      status: 404,
      body: { error_codes: ['approver_not_found'] },
    });
  });
});
