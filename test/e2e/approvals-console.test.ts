import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../scripts/stack';
import { ADMIN, checkView, registerApprover, signIn } from './approver-helpers';
import { type Browser, launchChromium } from './browser';
import { type PageRecord, tabTo, watch } from './console-helpers';
import { type Person, VirtualPasskeys } from './webauthn';

/**
 * The Approvals view in real Chromium against real `wrangler dev`, with virtual WebAuthn authenticators:
 * an agent's call over its approval threshold waits (428); an approver approves it with their passkey and
 * the agent's re-send runs once; another is declined with a reason and the re-send is refused; one over
 * the second threshold needs two different approvers; and an authenticator that cannot verify its user
 * approves nothing. Needs the approvals API (issue 18: policy, records, `GET /admin/approvals`,
 * approve/decline, `POST /admin/approvals/{id}/challenge`).
 */
const SIM_PORT = 18842;
const BOLLARD_PORT = 18843;
const ORIGIN = `http://localhost:${BOLLARD_PORT}`;
const CARD = { type: 'card', number: '4242424242424242', expiry_month: 12, expiry_year: 2030, cvv: '100' };

let stack: Stack;
let browser: Browser;
let page: Page;
let record: PageRecord;
let passkeys: VirtualPasskeys;
let ada: Person;
let grace: Person;
let agentKey = '';

interface Decision {
  approver_id: string;
  approver_name: string;
  decision: 'approve' | 'decline';
  reason: string | null;
  via: string;
}

interface ApprovalView {
  id: string;
  status: string;
  approvers_required: number;
  decisions: Decision[];
}

/** The agent asks for a payment; over the threshold, the answer is 428 with the approval's id. */
function pay(amount: number, key: string): Promise<Response> {
  return fetch(`${stack.bollardUrl}/agent/v1/payments`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${agentKey}`,
      'content-type': 'application/json',
      'cko-idempotency-key': key,
    },
    body: JSON.stringify({ amount, currency: 'EUR', capture: true, reference: `po-${key}`, source: CARD }),
  });
}

async function pending(amount: number): Promise<{ id: string; key: string }> {
  const key = `e2e-${amount}-${crypto.randomUUID()}`;
  const res = await pay(amount, key);
  expect(res.status).toBe(428);
  const body = (await res.json()) as { error_type: string; approval_id: string; idempotency_key: string };
  expect(body).toMatchObject({ error_type: 'approval_required', idempotency_key: key });
  await listedAsPending(body.approval_id);
  return { id: body.approval_id, key };
}

/**
 * The list across agents reads the directory's index, which the agent's object brings up to date from its
 * alarm a moment after the 428 (src/agents/objects/approval-index.ts): the view is opened once the index
 * names the new approval, the state the agent's call produces.
 */
async function listedAsPending(id: string): Promise<void> {
  await expect
    .poll(
      async () => {
        const res = await fetch(`${stack.bollardUrl}/admin/approvals?status=pending&limit=100`, {
          headers: ADMIN,
        });
        const page = (await res.json()) as { data: { id: string }[] };
        return page.data.some((a) => a.id === id);
      },
      { timeout: 10_000, interval: 100 },
    )
    .toBe(true);
}

async function approval(id: string): Promise<ApprovalView> {
  const res = await fetch(`${stack.bollardUrl}/admin/approvals/${id}`, { headers: ADMIN });
  return (await res.json()) as ApprovalView;
}

const card = (id: string) => page.locator(`article[data-approval-id="${id}"]`);

/**
 * Opens the Approvals view fresh and waits for approval `id`'s card. Already on the view, a `goto` to the
 * same address changes nothing (no render), so the page is reloaded instead.
 */
async function openApprovals(name: string, id: string): Promise<void> {
  const url = `${ORIGIN}/admin#/approvals`;
  if (page.url() === url) await page.reload();
  else await page.goto(url);
  await card(id).waitFor();
  await checkView(page, 'Approvals', name);
}

/** Chooses the approver on an approval's card and presses a decision button from the keyboard. */
async function decide(
  id: string,
  decision: 'approve' | 'decline',
  by: Person,
  reason?: string,
): Promise<void> {
  const c = card(id);
  await c.locator('select[name="approver"]').selectOption(by.approverId ?? '');
  if (reason !== undefined) await c.locator('input[name="reason"]').fill(reason);
  const button = await c.locator(`button.${decision}`).getAttribute('id');
  await tabTo(page, `#${button}`);
  await page.keyboard.press('Enter');
}

beforeAll(async () => {
  stack = await startStack({ simPort: SIM_PORT, bollardPort: BOLLARD_PORT });
  const agent = await fetch(`${stack.bollardUrl}/admin/agents`, {
    method: 'POST',
    headers: ADMIN,
    body: JSON.stringify({
      name: 'procurement bot',
      grants: { payments: 'write' },
      approval: { at_or_over: { EUR: 50000 }, two_approvers_at_or_over: { EUR: 500000 }, ttl_seconds: 900 },
    }),
  });
  if (agent.status !== 201) throw new Error(`agent: ${agent.status} ${await agent.text()}`);
  agentKey = ((await agent.json()) as { key: string }).key;
  browser = await launchChromium();
  page = await browser.context.newPage();
  record = watch(page, ORIGIN);
  passkeys = await VirtualPasskeys.attach(page);
  await passkeys.routeBy(page);
  ada = passkeys.person('Ada Lovelace');
  grace = passkeys.person('Grace Hopper');
  await signIn(page, ORIGIN);
  await page.goto(`${ORIGIN}/admin#/approvers`);
  await checkView(page, 'Approvers', 'approvals-setup');
  await registerApprover(page, ORIGIN, passkeys, ada, 'Ada Lovelace');
  await registerApprover(page, ORIGIN, passkeys, grace, 'Grace Hopper');
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

afterEach(() => {
  expect(record.errors).toEqual([]);
});

describe('approvals in the console, with passkeys', () => {
  it('lists a pending call with its agent, amount and redacted body; approving with a passkey lets the re-send run once', async () => {
    const { id, key } = await pending(60000);
    await openApprovals('approvals-pending', id);
    const text = (await card(id).textContent()) ?? '';
    expect(text).toContain('procurement bot');
    expect(text).toContain('60000 EUR');
    expect(text).toContain('[redacted]');
    expect(text).not.toContain('4242424242424242');
    expect(await page.content()).not.toContain(agentKey);

    await decide(id, 'approve', ada);
    await page.locator('#approvals-flash', { hasText: 'Approved' }).waitFor();
    await checkView(page, 'Approvals', 'approvals-approved');
    const decided = await approval(id);
    expect(decided.decisions).toMatchObject([
      { approver_id: ada.approverId, decision: 'approve', via: 'passkey' },
    ]);

    const ran = await pay(60000, key);
    expect([200, 201, 202]).toContain(ran.status);
    const first = await ran.text();
    const again = await pay(60000, key);
    expect(again.status).toBe(ran.status);
    expect(await again.text()).toBe(first);
  });

  it('declines with a reason (and not without one); the re-send is refused', async () => {
    const { id, key } = await pending(70000);
    await openApprovals('approvals-to-decline', id);
    await decide(id, 'decline', grace);
    await card(id).locator('[role=alert]', { hasText: 'Say why' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('reason');

    await decide(id, 'decline', grace, 'not on the purchase order');
    await page.locator('#approvals-flash', { hasText: 'Declined' }).waitFor();
    await checkView(page, 'Approvals', 'approvals-declined');
    expect((await approval(id)).decisions).toMatchObject([
      {
        approver_id: grace.approverId,
        decision: 'decline',
        reason: 'not on the purchase order',
        via: 'passkey',
      },
    ]);
    const resend = await pay(70000, key);
    expect(resend.status).toBe(403);
    expect(((await resend.json()) as { error_codes: string[] }).error_codes).toContain('approval_declined');
  });

  it('over the second threshold, two different approvers approve, each with their own passkey', async () => {
    const { id, key } = await pending(600000);
    expect((await approval(id)).approvers_required).toBe(2);
    await openApprovals('approvals-two-needed', id);
    await decide(id, 'approve', ada);
    await page.locator('#approvals-flash', { hasText: 'second, different approver' }).waitFor();
    expect(await card(id).textContent()).toContain('1 of 2 (Ada Lovelace)');
    expect((await pay(600000, key)).status).toBe(428);

    await decide(id, 'approve', grace);
    await page.locator('#approvals-flash', { hasText: 'Approved' }).waitFor();
    await checkView(page, 'Approvals', 'approvals-two-approved');
    const decided = await approval(id);
    expect(new Set(decided.decisions.map((d) => d.approver_id))).toEqual(
      new Set([ada.approverId, grace.approverId]),
    );
    expect([200, 201, 202]).toContain((await pay(600000, key)).status);
  });

  it('an authenticator that does not verify its user approves nothing', async () => {
    const { id } = await pending(80000);
    const touchOnly = passkeys.person('Ada, touch only', { userVerified: false });
    touchOnly.credentials = await passkeys.credentialsOf(ada);
    passkeys.answering = touchOnly;
    await openApprovals('approvals-touch-only', id);
    await decide(id, 'approve', ada);
    await card(id).locator('[role=alert]', { hasText: 'could not verify you' }).waitFor({ timeout: 60_000 });
    await checkView(page, 'Approvals', 'approvals-touch-only-refused');
    passkeys.answering = null;
    expect(await approval(id)).toMatchObject({ status: 'pending', decisions: [] });
  });
});
