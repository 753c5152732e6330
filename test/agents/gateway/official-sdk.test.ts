import { exports } from 'cloudflare:workers';
import Checkout from 'checkout-sdk-node';
import { afterEach, describe, expect, it } from 'vitest';
import { auditFor, BASE, createAgent } from '../helpers';

/**
 * Checkout.com's official Node SDK pointed at Bollard, configured as docs/agents.md shows ("Official SDKs").
 * Its transfers and balances clients use `config.transfersUrl` / `config.balancesUrl`, which the `host`
 * option does not change: left alone, an agent key would be sent to Checkout.com's live hosts. Every
 * request the SDK makes is caught here; only Bollard's base URL is let through (to the Worker itself).
 */
const AGENT_BASE = `${BASE}/agent/v1`;
const realFetch = globalThis.fetch;
const elsewhere: string[] = [];

function interceptSdkFetch(): void {
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.startsWith(`${AGENT_BASE}/`)) return exports.default.fetch(url, init);
    elsewhere.push(url);
    throw new Error(`the SDK tried to reach ${new URL(url).host}`);
  }) as typeof fetch;
}

afterEach(() => {
  globalThis.fetch = realFetch;
  elsewhere.length = 0;
});

const ENTITY = 'ent_aaaaaaaaaaaaaaaaaaaaaaaaaa';

describe('checkout-sdk-node through /agent/v1', { timeout: 30_000 }, () => {
  it('with only `host` set, transfers and balances would go to the live Checkout.com hosts', async () => {
    const agent = await createAgent({ 'payouts-balances': 'write' });
    interceptSdkFetch();
    const cko = new Checkout(agent.key, { host: AGENT_BASE });
    await expect(cko.balances.retrieve(ENTITY)).rejects.toThrow();
    await expect(
      cko.transfers.initiate({
        reference: 'sdk',
        transfer_type: 'commission',
        source: { id: ENTITY, amount: 100 },
        destination: { id: 'ent_bbbbbbbbbbbbbbbbbbbbbbbbbb' },
      }),
    ).rejects.toThrow();
    expect(elsewhere.map((u) => new URL(u).host)).toEqual([
      'balances.checkout.com',
      'transfers.checkout.com',
    ]);
  });

  it('with transfersUrl and balancesUrl set to the /agent/v1 base, everything goes through Bollard', async () => {
    const agent = await createAgent({ 'payouts-balances': 'write', payments: 'read' });
    interceptSdkFetch();
    // As docs/agents.md shows it (the SDK's typings omit these two fields; its code reads them).
    const cko = new Checkout(agent.key, { host: AGENT_BASE });
    Object.assign(cko.config, { transfersUrl: `${AGENT_BASE}/transfers`, balancesUrl: AGENT_BASE });

    const balances = await cko.balances.retrieve(ENTITY);
    expect(balances).toHaveProperty('data');
    // Money-moving: Bollard generates the idempotency key the SDK's typed call does not pass.
    const transfer = await cko.transfers.initiate({
      reference: 'sdk-transfer',
      transfer_type: 'commission',
      source: { id: ENTITY, amount: 100, currency: 'EUR' },
      destination: { id: 'ent_bbbbbbbbbbbbbbbbbbbbbbbbbb' },
    });
    expect(transfer).toHaveProperty('id');
    const payments = await cko.payments.getPaymentList({ limit: 1 });
    expect(payments).toHaveProperty('data');
    expect(elsewhere).toEqual([]);
    const records = await auditFor(agent.id);
    expect(records.map((r) => [r.entry, r.decision])).toEqual([
      ['getBalances', 'allowed'],
      ['createTransfer', 'allowed'],
      ['listPayments', 'allowed'],
    ]);
  });
});
