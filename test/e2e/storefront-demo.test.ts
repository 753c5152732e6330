import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../scripts/stack';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import { type Browser, launchChromium, recordRequests, withScreenshot } from './storefront-browser';

/**
 * The demo shop in real Chromium against real `wrangler dev` processes (simulator + Bollard), in signed
 * order mode: the page gets prices signed by the dev order-token route, tokenizes with the helper, and
 * pays through Bollard.
 */
const SIM_PORT = 18794;
const BOLLARD_PORT = 18795;

let stack: Stack;
let browser: Browser;

async function registerWebhookWorkflow(simUrl: string, bollardUrl: string): Promise<void> {
  const res = await fetch(`${simUrl}/workflows`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${DEV_CREDENTIALS.secretKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      name: 'storefront e2e',
      active: true,
      conditions: [
        { type: 'event', events: { gateway: ['payment_approved', 'payment_declined', 'payment_captured'] } },
      ],
      actions: [
        {
          type: 'webhook',
          url: `${bollardUrl}/webhooks/checkout`,
          signature: { method: 'HMACSHA256', key: DEV_CREDENTIALS.webhookSigningKey },
        },
      ],
    }),
  });
  if (res.status !== 201) throw new Error(`workflow registration failed: ${res.status} ${await res.text()}`);
}

beforeAll(async () => {
  stack = await startStack({
    simPort: SIM_PORT,
    bollardPort: BOLLARD_PORT,
    vars: {
      DEMO_ENABLED: 'true',
      STOREFRONT_ORDER_MODE: 'signed',
      STOREFRONT_ORIGINS: `http://127.0.0.1:${BOLLARD_PORT}`,
    },
  });
  await registerWebhookWorkflow(stack.simUrl, stack.bollardUrl);
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

async function payByCard(page: Page, number: string): Promise<void> {
  await page.fill('#card-number', number);
  await page.fill('#card-expiry', `12/${(new Date().getFullYear() + 3) % 100}`);
  await page.fill('#card-cvv', '100');
  await page.fill('#card-name', 'Ada Lovelace');
  await page.click('#pay-card');
  await page.waitForSelector(
    '#outcome[data-status="approved"], #outcome[data-status="declined"], #outcome[data-status="error"]',
  );
}

describe('demo storefront in Chromium', () => {
  it('approves the 4242 card, shows the webhook event, and never sends the card to Bollard', async () => {
    const page = await openShop();
    const seen = recordRequests(page);
    await withScreenshot(page, 'approved-card', async () => {
      await page.check('input[name="item"][value="hoodie"]', { force: true });
      await expect.poll(() => page.textContent('#mode')).toContain('signed');
      await payByCard(page, '4242 4242 4242 4242');
      expect(await page.getAttribute('#outcome', 'data-status')).toBe('approved');
      expect(await page.textContent('#outcome')).toContain('£45.00');
      // The webhook Checkout.com sent for this payment reached Bollard and shows on the page.
      await page.waitForSelector('#events-list li[data-type="payment_approved"]', { timeout: 30_000 });
    });
    const toBollard = seen.filter((r) => r.url.startsWith(stack.bollardUrl));
    const toTokens = seen.filter((r) => r.url === `${stack.simUrl}/tokens` && r.method === 'POST');
    expect(toTokens).toHaveLength(1);
    expect(toTokens[0]?.headers.authorization).toBe(`Bearer ${DEV_CREDENTIALS.publicKey}`);
    expect(toBollard.some((r) => r.url.endsWith('/v1/payment-sessions'))).toBe(true);
    for (const r of toBollard) {
      expect(`${r.url} ${r.body}`).not.toMatch(/4242\s?4242\s?4242\s?4242/);
      expect(r.body).not.toContain('"cvv"');
    }
    await page.close();
  });

  it('retries a session create whose answer was lost with the same Idempotency-Key: one session, paid once', async () => {
    const page = await openShop();
    const creates: { key: string | undefined; replayed: string | null; id?: string }[] = [];
    let lose = true;
    // The first create reaches Bollard (and Checkout.com), but its answer never reaches the page, as when a
    // phone drops Wi-Fi mid-request.
    await page.route('**/v1/payment-sessions', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const key = route.request().headers()['idempotency-key'];
      const res = await route.fetch();
      const body = (await res.json()) as { id?: string };
      creates.push({
        key,
        replayed: res.headers()['idempotent-replayed'] ?? null,
        ...(body.id ? { id: body.id } : {}),
      });
      if (lose) {
        lose = false;
        return route.abort('connectionreset');
      }
      return route.fulfill({ response: res });
    });
    await withScreenshot(page, 'lost-session-answer', async () => {
      await payByCard(page, '4242 4242 4242 4242');
      expect(await page.getAttribute('#outcome', 'data-status')).toBe('approved');
    });
    expect(creates).toHaveLength(2);
    expect(creates[0]?.key).toMatch(/^[0-9a-f]{32}$/);
    expect(creates[1]?.key).toBe(creates[0]?.key);
    expect(creates[1]?.replayed).toBe('true');
    expect(creates[1]?.id).toBe(creates[0]?.id);
    await page.close();
  });

  it('shows a decline for the 4544 2491 6767 3670 card', async () => {
    const page = await openShop();
    await withScreenshot(page, 'declined-card', async () => {
      await payByCard(page, '4544 2491 6767 3670');
      expect(await page.getAttribute('#outcome', 'data-status')).toBe('declined');
      expect(await page.textContent('#outcome')).toMatch(/declined/i);
    });
    await page.close();
  });

  it('shows a field error for a mistyped card number without calling anyone', async () => {
    const page = await openShop();
    const seen = recordRequests(page);
    await withScreenshot(page, 'luhn-error', async () => {
      await payByCard(page, '4242 4242 4242 4241');
      expect(await page.getAttribute('#outcome', 'data-status')).toBe('error');
      expect(await page.textContent('#outcome')).toContain('card number is not valid');
      expect(await page.getAttribute('#card-number', 'aria-invalid')).toBe('true');
    });
    expect(seen.filter((r) => r.method === 'POST')).toHaveLength(0);
    await page.close();
  });

  it('pays by payment link on the hosted page and returns to the shop with the outcome', async () => {
    const page = await openShop();
    await withScreenshot(page, 'payment-link', async () => {
      await page.check('input[name="item"][value="mug"]', { force: true });
      await page.click('#tab-link');
      await page.click('#pay-link');
      await page.waitForURL(`${stack.simUrl}/link/**`);
      await page.fill('#number', '4242424242424242');
      await page.fill('#expiry_month', '12');
      await page.fill('#expiry_year', String(new Date().getFullYear() + 3));
      await page.fill('#cvv', '100');
      await page.click('#pay');
      await page.waitForURL(`${stack.bollardUrl}/**`);
      await page.waitForSelector(
        '#outcome[data-status="approved"], #outcome[data-status="declined"], #outcome[data-status="error"]',
      );
      expect(await page.getAttribute('#outcome', 'data-status')).toBe('approved');
      expect(await page.textContent('#outcome')).toContain('£12.00');
      expect(await page.textContent('#outcome')).toMatch(/pay_/);
    });
    await page.close();
  });
});
