import { describe, expect, it } from 'vitest';
import {
  APPROVAL_FIELDS as SCRIPT_APPROVAL_FIELDS,
  ATTEMPT_FIELDS as SCRIPT_ATTEMPT_FIELDS,
  HASHED_FIELDS as SCRIPT_FIELDS,
  verifyNdjson,
} from '../../../docs/verify-audit.mjs';
import { APPROVAL_FIELDS, ATTEMPT_FIELDS, HASHED_FIELDS } from '../../../src/agents/model/audit-entry';
import { ANY_SCOPE, admin, cardPayment, createAgent, gateway, indexCaughtUp } from '../helpers';

describe('docs/verify-audit.mjs: an operator re-verifies an export offline', { timeout: 60_000 }, () => {
  it('hashes the same fields in the same order as the chain (and the same extra fields for attempts and approvals)', () => {
    expect([...SCRIPT_FIELDS]).toEqual([...HASHED_FIELDS]);
    expect([...SCRIPT_ATTEMPT_FIELDS]).toEqual([...ATTEMPT_FIELDS]);
    expect([...SCRIPT_APPROVAL_FIELDS]).toEqual([...APPROVAL_FIELDS]);
  });

  it("verifies a real export (one agent's chain, and the global one), and finds an edited line", async () => {
    const agent = await createAgent(
      { payments: 'write' },
      { scope: ANY_SCOPE, limits: { max_amount_per_call: { EUR: 100 } } },
    );
    await gateway(agent.key, 'POST', '/payments', cardPayment(50));
    await gateway(agent.key, 'POST', '/payments', cardPayment(5000)); // refused: one entry
    await gateway(agent.key, 'GET', '/disputes'); // refused: no grant
    await gateway(agent.key, 'GET', '/payments?limit=1');
    await indexCaughtUp(agent.id);
    const own = await (await admin(`/admin/audit/export?agent=${agent.id}`)).text();
    const [result] = verifyNdjson(own);
    expect(result).toMatchObject({ chain: agent.id, valid: true, entries: 6, from_genesis: true });
    // The head the script reaches is the head the chain's object reports.
    const chain = (await (await admin(`/admin/audit/verify?agent=${agent.id}`)).json()) as {
      head: { seq: number; hash: string };
    };
    expect(result?.head).toEqual(chain.head);

    const everything = verifyNdjson(await (await admin('/admin/audit/export')).text());
    expect(everything.find((r) => r.chain === agent.id)).toMatchObject({ valid: true, entries: 6 });

    // A refusal rewritten as allowed. Outcomes are appended after the answers, so the chain's order of
    // entries is not fixed: find the line rather than assume its place.
    const lines = own.trim().split('\n');
    const at = lines.findIndex((l) => (JSON.parse(l) as { reason?: string }).reason === 'grant_required');
    const edited = JSON.parse(lines[at] as string) as Record<string, unknown>;
    edited.reason = 'allowed';
    lines[at] = JSON.stringify(edited);
    expect(verifyNdjson(lines.join('\n'))[0]).toMatchObject({ valid: false, first_invalid_seq: edited.seq });
    const removed = own.trim().split('\n');
    removed.splice(1, 1);
    expect(verifyNdjson(removed.join('\n'))[0]).toMatchObject({ valid: false, first_invalid_seq: 2 });
  });
});
