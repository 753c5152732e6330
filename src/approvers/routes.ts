import { type Context, Hono } from 'hono';
import { type AppEnv, BollardError, readJsonBody } from '../http';
import { approverOnThisHost, issueChallenge } from './challenge';
import {
  APPROVER_ID,
  parseAssertion,
  parseChallengeRequest,
  parseRegister,
  parseRegistrationOptions,
  parseSigned,
} from './input';
import { verifyAssertion } from './passkey';
import {
  consentToApprover,
  enrollmentOf,
  openEnrollment,
  pendingApprover,
  registerApprover,
  registrationOptions,
  sponsorSubject,
} from './registration';
import { relyingParty } from './relying-party';
import { withApproversDeadline } from './store';
import { approvers } from './stubs';
import { approverView } from './types';

function approverNotFound(): BollardError {
  return new BollardError('not_found', { codes: ['approver_not_found'], message: 'no approver has this id' });
}

/** The approver id in the path; one that cannot be an approver's is a 404 with no round trip. */
function idFromPath(c: Context<AppEnv>): string {
  const id = c.req.param('id') ?? '';
  if (!APPROVER_ID.test(id)) throw approverNotFound();
  return id;
}

/**
 * The approvers' admin API (docs/agents.md, "Approvals → Passkeys"). Mounted by the operator module, whose
 * guard authenticates every `/admin*` request: nothing here adds auth of its own. What an admin credential
 * cannot do here on its own is the point: adding an approver once one exists, or removing one, needs an
 * existing approver's passkey (unless `APPROVERS_OPEN_ENROLLMENT=true`).
 *
 * - `GET /admin/approvers` — the approvers and how a new one may be added (`enrollment`).
 * - `POST /admin/approvers/registration-options` `{ name }` — WebAuthn creation options.
 * - `POST /admin/approvers` `{ name, registration }` — registers: 201 active (the first approver, or open
 *   enrollment), else 202 `awaiting_sponsor` for five minutes.
 * - `POST /admin/approvers/{id}/sponsor` `{ approver_id, assertion }` — an existing approver consents: 201.
 * - `POST /admin/approvers/{id}/challenge` `{ approver_id, purpose: "sponsor" | "test" | "remove" }` —
 *   request options for that approver's passkey, bound to the purpose and `{id}`.
 * - `POST /admin/approvers/{id}/test` `{ assertion }` — checks that the approver's passkey works here.
 * - `DELETE /admin/approvers/{id}` `{ approver_id, assertion }` — removes, with an approver's consent.
 */
export function approverRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/admin/approvers', async (c) => {
    const list = await withApproversDeadline(approvers(c.env).list());
    return c.json({
      data: list.map(approverView),
      total_count: list.length,
      enrollment: enrollmentOf(c.env, list.length),
    });
  });

  app.post('/admin/approvers/registration-options', async (c) => {
    const input = parseRegistrationOptions(await readJsonBody(c, { optional: true }));
    return c.json(await registrationOptions(c, input));
  });

  app.post('/admin/approvers', async (c) => {
    const input = parseRegister(await readJsonBody(c, { optional: true }));
    const registered = await registerApprover(c, input);
    if (registered.status === 'active') return c.json({ ...registered.approver, status: 'active' }, 201);
    return c.json(
      { ...registered.approver, status: 'awaiting_sponsor', consent_expires_at: registered.expires_at },
      202,
    );
  });

  app.post('/admin/approvers/:id/sponsor', async (c) => {
    const id = idFromPath(c);
    const approver = await consentToApprover(c, id, parseSigned(await readJsonBody(c, { optional: true })));
    return c.json({ ...approver, status: 'active' }, 201);
  });

  app.post('/admin/approvers/:id/challenge', async (c) => {
    const id = idFromPath(c);
    const input = parseChallengeRequest(await readJsonBody(c, { optional: true }));
    if (input.purpose === 'test' && input.approver_id !== id)
      throw new BollardError('request_invalid', {
        codes: ['approver_id_invalid'],
        message: 'approver_id: a test is answered by the approver’s own passkey',
      });
    if (input.purpose === 'sponsor') {
      const pending = await pendingApprover(c.env, id, Date.now());
      return c.json(await issueChallenge(c, 'sponsor', sponsorSubject(pending), input.approver_id));
    }
    // The approver to remove must exist (on any host: one registered elsewhere can be removed here).
    if (input.purpose === 'remove' && !(await withApproversDeadline(approvers(c.env).get(id))))
      throw approverNotFound();
    return c.json(await issueChallenge(c, input.purpose, id, input.approver_id));
  });

  app.post('/admin/approvers/:id/test', async (c) => {
    const id = idFromPath(c);
    const body = await readJsonBody(c, { optional: true });
    const assertion = parseAssertion((body as { assertion?: unknown } | undefined)?.assertion);
    await approverOnThisHost(c.env, id, relyingParty(c).rpId);
    const approver = await verifyAssertion(c, assertion, { purpose: 'test', subject: id, approverId: id });
    const now = await withApproversDeadline(approvers(c.env).get(id));
    return c.json({ verified: true, approver: approverView(now ?? approver) });
  });

  app.delete('/admin/approvers/:id', async (c) => {
    const id = idFromPath(c);
    const body = await readJsonBody(c, { optional: true });
    if (body === undefined && !openEnrollment(c.env))
      throw new BollardError('forbidden', {
        codes: ['passkey_required'],
        message: 'removing an approver needs an approver’s passkey: { approver_id, assertion }',
      });
    if (body !== undefined) {
      const input = parseSigned(body);
      await verifyAssertion(c, input.assertion, {
        purpose: 'remove',
        subject: id,
        approverId: input.approver_id,
      });
    }
    const store = approvers(c.env);
    const approver = await withApproversDeadline(store.get(id));
    if (!approver || !(await withApproversDeadline(store.remove(id)))) throw approverNotFound();
    c.get('log')?.info('approver.removed', { approver_id: id });
    return c.json({ ...approverView(approver), removed: true });
  });

  return app;
}
