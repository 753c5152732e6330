import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import type { ApprovalView } from '../../../src/agents/model/approval-view';
import {
  type ApprovalErrorJson,
  approvalView,
  createApprovalAgent,
  DEV_APPROVALS,
  decideAs,
} from '../approval-helpers';
import { ADMIN, admin, call, cardPayment, gateway } from '../helpers';

/**
 * The operators' approvals API (docs/agents.md, "Approvals"): the list across agents, one approval, the
 * decisions and who may make them, the policy's validation, and the signed new-approval notification.
 */

interface Page {
  total_count: number;
  limit: number;
  skip: number;
  data: ApprovalView[];
}

async function hold(
  key: string,
  amount: number,
  overrides?: Record<string, string>,
): Promise<ApprovalErrorJson> {
  const res = overrides
    ? await call(
        '/agent/v1/payments',
        {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify(cardPayment(amount)),
        },
        overrides,
      )
    : await gateway(key, 'POST', '/payments', cardPayment(amount));
  expect(res.status).toBe(428);
  return (await res.json()) as ApprovalErrorJson;
}

/** The list once it shows what `until` waits for (the index follows the agents' objects by ~0.2 s). */
async function listUntil(query: string, until: (page: Page) => boolean): Promise<Page> {
  return vi.waitFor(
    async () => {
      const page = (await (await admin(`/admin/approvals${query}`)).json()) as Page;
      expect(until(page)).toBe(true);
      return page;
    },
    // The index is fed by the agents' alarms, which a loaded machine runs late: seconds, not milliseconds.
    { timeout: 15_000, interval: 25 },
  );
}

const POLICY = { at_or_over: { EUR: 10_000 } };

describe('admin API: approvals', { timeout: 90_000 }, () => {
  it('lists approvals across agents by status, one agent’s at once, and reads one', async () => {
    const a = await createApprovalAgent({ payments: 'write' }, POLICY);
    const b = await createApprovalAgent({ payments: 'write' }, POLICY);
    const first = await hold(a.key, 20_000);
    const second = await hold(b.key, 30_000);

    const pending = await listUntil('?status=pending&limit=100', (p) =>
      [first, second].every((h) => p.data.some((v) => v.id === h.approval_id)),
    );
    const ids = pending.data.map((v) => v.id);
    expect(ids).toEqual(expect.arrayContaining([first.approval_id, second.approval_id]));
    expect(pending.data.every((v) => v.status === 'pending')).toBe(true);
    // Newest first.
    expect(ids.indexOf(second.approval_id)).toBeLessThan(ids.indexOf(first.approval_id));

    const own = (await (await admin(`/admin/approvals?agent=${a.id}`)).json()) as Page;
    expect(own.data.map((v) => v.id)).toEqual([first.approval_id]);
    expect(own.total_count).toBe(1);

    const view = await approvalView(second.approval_id);
    expect(view).toMatchObject({
      id: second.approval_id,
      agent_id: b.id,
      agent_name: 'approvals agent',
      method: 'requestPayment',
      http_method: 'POST',
      path: '/payments',
      amount: 30_000,
      currency: 'EUR',
      idempotency_key: second.idempotency_key,
      status: 'pending',
      approvers_required: 1,
      decisions: [],
      executed_at: null,
    });
    const text = JSON.stringify(pending);
    expect(text).not.toContain('4242424242424242');
    expect(text).not.toContain(a.key);

    // Decided ones leave the pending list and show under their status.
    expect((await decideAs(first.approval_id, 'decline', { approver_id: 'dev', reason: 'no' })).status).toBe(
      200,
    );
    const declined = await listUntil('?status=declined&limit=100', (p) =>
      p.data.some((v) => v.id === first.approval_id),
    );
    expect(declined.data.find((v) => v.id === first.approval_id)?.decisions).toMatchObject([
      { approver_id: 'dev', decision: 'decline', reason: 'no', via: 'dev_bearer', credential_id: null },
    ]);
    const stillPending = (await (await admin('/admin/approvals?status=pending&limit=100')).json()) as Page;
    expect(stillPending.data.map((v) => v.id)).not.toContain(first.approval_id);

    for (const bad of ['apr_nothing', `apr_${'a'.repeat(26)}_${'b'.repeat(16)}`, 'agt_x'])
      expect((await admin(`/admin/approvals/${bad}`)).status).toBe(404);
    const badStatus = await admin('/admin/approvals?status=maybe');
    expect(badStatus.status).toBe(422);
    expect(((await badStatus.json()) as ApprovalErrorJson).error_codes).toEqual(['status_invalid']);
  });

  it('approves only with a proven approver: the admin token alone is refused unless the dev setting is on', async () => {
    const agent = await createApprovalAgent({ payments: 'write' }, POLICY);
    const held = await hold(agent.key, 15_000);
    const refused = await decideAs(held.approval_id, 'approve', { approver_id: 'dev' }, {});
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as ApprovalErrorJson).error_codes).toEqual(['passkey_required']);
    // A registered-looking approver without their passkey's assertion: refused; a malformed id: named.
    const noPasskey = await decideAs(held.approval_id, 'approve', { approver_id: `apr_${'a'.repeat(26)}` });
    expect(noPasskey.status).toBe(403);
    expect(((await noPasskey.json()) as ApprovalErrorJson).error_codes).toEqual(['passkey_required']);
    const other = await decideAs(held.approval_id, 'approve', { approver_id: 'someone' });
    expect(other.status).toBe(422);
    expect(((await other.json()) as ApprovalErrorJson).error_codes).toEqual(['approver_id_invalid']);
    const extra = await decideAs(held.approval_id, 'approve', { approver_id: 'dev', sneaky: true });
    expect(extra.status).toBe(422);
    const missing = await decideAs(held.approval_id, 'approve', {});
    expect(((await missing.json()) as ApprovalErrorJson).error_codes).toEqual(['approver_id_invalid']);
    expect((await approvalView(held.approval_id)).status).toBe('pending');
    // Without any admin credential, nothing at all.
    const anonymous = await call(`/admin/approvals/${held.approval_id}/approve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"approver_id":"dev"}',
    });
    expect(anonymous.status).toBe(401);
    expect((await decideAs(held.approval_id, 'approve')).status).toBe(200);
    const again = await decideAs(held.approval_id, 'approve');
    expect(again.status).toBe(409);
    expect(((await again.json()) as ApprovalErrorJson).error_codes).toEqual(['approval_not_pending']);
  });

  it('validates the approval policy, naming the field, and shows it on the agent', async () => {
    const bad = async (approval: unknown, code: string) => {
      const res = await admin('/admin/agents', {
        method: 'POST',
        json: { name: 'x', grants: { payments: 'write' }, approval },
      });
      expect(res.status).toBe(422);
      const codes = ((await res.json()) as ApprovalErrorJson).error_codes;
      expect(
        codes.some((c) => c.startsWith(code)),
        codes.join(' '),
      ).toBe(true);
    };
    await bad({}, 'approval_invalid');
    await bad({ methods: ['refundEverything'] }, 'approval_methods_0_invalid');
    await bad({ all_money_moving: true, ttl_seconds: 5 }, 'approval_ttl_seconds_invalid');
    await bad({ at_or_over: { eur: 100 } }, 'approval_at_or_over');
    await bad(
      { at_or_over: { EUR: 500 }, two_approvers_at_or_over: { EUR: 100 } },
      'approval_two_approvers_at_or_over_EUR_invalid',
    );
    await bad({ all_money_moving: true, sometimes: true }, 'approval_invalid');

    const agent = await createApprovalAgent(
      { payments: 'write' },
      { methods: ['refundPayment'], ttl_seconds: 600 },
    );
    expect(agent.approval).toEqual({ methods: ['refundPayment'], ttl_seconds: 600 });
    const listed = (await (await admin('/admin/agents?limit=1000')).json()) as {
      data: Array<{ id: string; approval: unknown }>;
    };
    expect(listed.data.find((x) => x.id === agent.id)?.approval).toEqual({
      methods: ['refundPayment'],
      ttl_seconds: 600,
    });
    const cleared = await admin(`/admin/agents/${agent.id}`, { method: 'PATCH', json: { approval: null } });
    expect(((await cleared.json()) as { approval: unknown }).approval).toBeNull();
  });

  it('notifies each new approval to APPROVAL_NOTIFY_URL, signed with APPROVAL_NOTIFY_SECRET', async () => {
    const agent = await createApprovalAgent({ payments: 'write' }, POLICY);
    const path = `/approvals-${crypto.randomUUID().slice(0, 8)}`;
    const secret = 'notify-secret-for-tests';
    const held = await hold(agent.key, 25_000, {
      APPROVAL_NOTIFY_URL: `https://notify.example${path}`,
      APPROVAL_NOTIFY_SECRET: secret,
    });
    const sink = env.APPROVAL_NOTIFY_SINK;
    if (!sink) throw new Error('the tests bind APPROVAL_NOTIFY_SINK');
    const log = (await (await sink.fetch(`http://sink.control/log?prefix=${path}`)).json()) as {
      requests: Array<{ headers: Record<string, string>; body_base64: string }>;
    };
    expect(log.requests).toHaveLength(1);
    const [request] = log.requests;
    const body = atob(request?.body_base64 ?? '');
    const notification = JSON.parse(body) as { type: string; approval: ApprovalView; console_url: string };
    expect(notification).toMatchObject({
      type: 'approval.requested',
      approval: { id: held.approval_id, agent_id: agent.id, amount: 25_000, status: 'pending' },
      console_url: `http://bollard.test/admin#/approvals/${held.approval_id}`,
    });
    expect(body).not.toContain('4242424242424242');
    expect(body).not.toContain(agent.key);

    // Bollard-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>, checked here from the definition.
    const signature = request?.headers['bollard-signature'] ?? '';
    const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature);
    expect(match).not.toBeNull();
    const [, t, v1] = match ?? [];
    expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(60);
    const enc = new TextEncoder();
    const k = await crypto.subtle.importKey(
      'raw',
      enc.encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['verify'],
    );
    const mac = Uint8Array.from((v1 ?? '').match(/../g) ?? [], (h) => Number.parseInt(h, 16));
    expect(await crypto.subtle.verify('HMAC', k, mac, enc.encode(`${t}.${body}`))).toBe(true);

    // A re-send of the pending one is not a new approval: nothing more is sent. A refusing endpoint does
    // not change the agent's answer.
    await call(
      '/agent/v1/payments',
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${agent.key}`,
          'content-type': 'application/json',
          'cko-idempotency-key': held.idempotency_key,
        },
        body: JSON.stringify(cardPayment(25_000)),
      },
      { APPROVAL_NOTIFY_URL: `https://notify.example${path}`, APPROVAL_NOTIFY_SECRET: secret },
    );
    const failing = await hold(agent.key, 26_000, {
      APPROVAL_NOTIFY_URL: `https://notify.example${path}/status/500`,
      APPROVAL_NOTIFY_SECRET: secret,
    });
    expect(failing.approval_id).toMatch(/^apr_/);
    const after = (await (await sink.fetch(`http://sink.control/log?prefix=${path}`)).json()) as {
      requests: unknown[];
    };
    expect(after.requests).toHaveLength(2);
    // Without a secret nothing is sent unsigned.
    await hold(agent.key, 27_000, { APPROVAL_NOTIFY_URL: `https://notify.example${path}-unsigned` });
    const unsigned = (await (await sink.fetch(`http://sink.control/log?prefix=${path}-unsigned`)).json()) as {
      requests: unknown[];
    };
    expect(unsigned.requests).toHaveLength(0);
  });

  it('walks a procurement agent with a 30-day budget and approvals over 500 EUR (docs/agents.md)', async () => {
    // The approval half of the worked example: over 500 EUR waits for a person, under it runs.
    const agent = await createApprovalAgent(
      { payments: 'write' },
      { at_or_over: { EUR: 50_000 }, ttl_seconds: 3_600 },
    );
    const small = await gateway(agent.key, 'POST', '/payments', cardPayment(49_900));
    expect(small.status).toBe(201);
    const large = await hold(agent.key, 120_000);
    expect(Date.parse(large.expires_at) - Date.now()).toBeGreaterThan(3_500_000);
    const res = await call(
      `/admin/approvals/${large.approval_id}/approve`,
      {
        method: 'POST',
        headers: { ...ADMIN, 'content-type': 'application/json' },
        body: '{"approver_id":"dev"}',
      },
      DEV_APPROVALS,
    );
    expect(res.status).toBe(200);
    const ran = await gateway(agent.key, 'POST', '/payments', cardPayment(120_000), {
      'cko-idempotency-key': large.idempotency_key,
    });
    expect(ran.status).toBe(201);
  });
});
