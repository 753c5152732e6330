import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../scripts/stack';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import { type Browser, launchChromium, recordRequests, withScreenshot } from './storefront-browser';

/**
 * The demo shop when Checkout.com stalls on the payment: real Chromium, real `wrangler dev` processes.
 * Bollard's storefront deadline (2.5 s) passes while the simulator still holds the submit (6 s, and then
 * processes it), so the submit answers `504 upstream_outcome_unknown`; the page must say it is confirming,
 * settle from `GET /v1/payment-sessions/{id}/status` once the payment exists, never submit again, and
 * leave exactly one payment upstream.
 */
const SIM_PORT = 18798;
const BOLLARD_PORT = 18799;
const SUBMIT_ROUTE = 'POST /payment-sessions/{id}/submit';
const STALL_MS = 6_000;

let stack: Stack;
let browser: Browser;

async function sim(method: string, path: string, key: string, body?: unknown): Promise<Response> {
  return fetch(`${stack.simUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
}

/** Every payment the simulator holds (the stack is this file's own, so this is every payment made). */
async function payments(): Promise<Array<{ id: string; status: string }>> {
  const res = await sim('GET', '/payments?limit=100', DEV_CREDENTIALS.secretKey);
  const body = (await res.json()) as { data: Array<{ id: string; status: string }> };
  return body.data;
}

beforeAll(async () => {
  stack = await startStack({
    simPort: SIM_PORT,
    bollardPort: BOLLARD_PORT,
    vars: {
      DEMO_ENABLED: 'true',
      STOREFRONT_ORDER_MODE: 'signed',
      STOREFRONT_ORIGINS: `http://127.0.0.1:${BOLLARD_PORT}`,
      STOREFRONT_UPSTREAM_DEADLINE_MS: '2500',
      UPSTREAM_ATTEMPT_TIMEOUT_MS: '1000',
    },
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function openShop(): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`${stack.bollardUrl}/`);
  await page.waitForSelector('body[data-ready="true"]');
  return page;
}

describe('demo storefront when the payment outcome is unknown', () => {
  it('shows "Confirming your payment…", settles to approved from the status read, and pays once', async () => {
    const page = await openShop();
    const seen = recordRequests(page);
    const set = await sim('POST', '/_sim/faults', DEV_CREDENTIALS.simAdminKey, {
      routes: { [SUBMIT_ROUTE]: { latency_ms: STALL_MS } },
    });
    expect(set.status).toBe(200);
    const started = Date.now();
    try {
      await withScreenshot(page, 'unknown-outcome', async () => {
        await page.check('input[name="item"][value="mug"]', { force: true });
        await page.fill('#card-number', '4242 4242 4242 4242');
        await page.fill('#card-expiry', `12/${(new Date().getFullYear() + 3) % 100}`);
        await page.fill('#card-cvv', '100');
        await page.click('#pay-card');
        await page.waitForSelector('#outcome[data-status="confirming"]', { timeout: 15_000 });
        expect(await page.textContent('#outcome')).toContain('Confirming your payment');
        // Paying again is off while the outcome is unknown.
        expect(await page.isDisabled('#pay-card')).toBe(true);
        // Later submits are not held: only the first one was, and it must be the only one.
        await sim('DELETE', '/_sim/faults', DEV_CREDENTIALS.simAdminKey);
        await page.waitForSelector(
          '#outcome[data-status="approved"], #outcome[data-status="declined"], #outcome[data-status="unconfirmed"], #outcome[data-status="error"]',
          { timeout: 30_000 },
        );
        expect(await page.getAttribute('#outcome', 'data-status')).toBe('approved');
        expect(await page.textContent('#outcome')).toContain('£12.00');
      });
    } finally {
      await sim('DELETE', '/_sim/faults', DEV_CREDENTIALS.simAdminKey);
    }
    expect(Date.now() - started).toBeLessThan(45_000);

    const made = await payments();
    expect(made).toHaveLength(1);
    expect(made[0]?.status).toBe('Captured');
    expect(await page.textContent('#outcome')).toContain(made[0]?.id ?? 'pay_');

    const toBollard = seen.filter((r) => r.url.startsWith(stack.bollardUrl));
    const submits = toBollard.filter((r) => r.method === 'POST' && r.url.endsWith('/submit'));
    // One submit from the page: it never re-submitted on its own.
    expect(submits).toHaveLength(1);
    expect(
      toBollard.some((r) => r.method === 'GET' && /\/v1\/payment-sessions\/ps_\w+\/status$/.test(r.url)),
    ).toBe(true);
    for (const r of toBollard) expect(`${r.url} ${r.body}`).not.toMatch(/4242\s?4242\s?4242\s?4242/);
    await page.close();
  });
});
