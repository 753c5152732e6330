import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenizerBundleIsFresh } from '../../scripts/build-tokenize';
import { type Stack, startStack } from '../../scripts/stack';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import {
  type Browser,
  launchChromium,
  recordRequests,
  type SeenRequest,
  withScreenshot,
} from './storefront-browser';

/**
 * The tokenization helper as a browser runs it: `/v1/tokenize.js` imported as an ES module from Bollard,
 * posting straight to the simulator's `/tokens` with the public key.
 */
const SIM_PORT = 18794;
const BOLLARD_PORT = 18795;

let stack: Stack;
let browser: Browser;
let page: Page;
let seen: SeenRequest[];

interface Outcome {
  ok: boolean;
  token?: string;
  code?: string;
  fields?: string[];
  message?: string;
  requestId?: string | null;
}

const nextYear = new Date().getFullYear() + 1;

/**
 * Runs tokenizeCard in the page, with the module imported from Bollard. A string, not a function: Vite
 * would rewrite a function's `import()` for Node.
 */
const IN_PAGE = `async ({ card, options, nowIso }) => {
  const mod = await import('/v1/tokenize.js');
  try {
    const opts = nowIso ? { ...options, now: () => new Date(nowIso) } : options;
    const t = await mod.tokenizeCard(card, opts);
    return { ok: true, token: t.token };
  } catch (err) {
    return { ok: false, code: err.code, fields: err.fields, message: err.message, requestId: err.requestId };
  }
}`;

function tokenize(
  card: Record<string, unknown>,
  options: Record<string, unknown> = {},
  nowIso?: string,
): Promise<Outcome> {
  return page.evaluate(`(${IN_PAGE})(${JSON.stringify({ card, options, nowIso })})`) as Promise<Outcome>;
}

beforeAll(async () => {
  stack = await startStack({
    simPort: SIM_PORT,
    bollardPort: BOLLARD_PORT,
    vars: { STOREFRONT_ORIGINS: `http://127.0.0.1:${BOLLARD_PORT}` },
  });
  browser = await launchChromium();
  page = await browser.context.newPage();
  seen = recordRequests(page);
  // Any page on Bollard's origin will do: the module and its config are same-origin from here.
  await page.goto(`${stack.bollardUrl}/v1/config`);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const posts = () => seen.filter((r) => r.method === 'POST');

describe('tokenize.js in Chromium', () => {
  it('is the committed, fresh build of src/browser/tokenize.ts', async () => {
    expect(await tokenizerBundleIsFresh()).toBe(true);
  });

  it('tokenizes a card at the simulator with Bearer pk_…, and card data never reaches Bollard', async () => {
    seen.length = 0;
    const out = await withScreenshot(page, 'tokenize-ok', () =>
      tokenize({
        number: '4242 4242 4242 4242',
        expiry_month: 12,
        expiry_year: nextYear,
        cvv: '100',
        name: 'Ada',
      }),
    );
    expect(out).toMatchObject({ ok: true });
    expect(out.token).toMatch(/^tok_/);
    const tokenCalls = posts();
    expect(tokenCalls).toHaveLength(1);
    expect(tokenCalls[0]?.url).toBe(`${stack.simUrl}/tokens`);
    expect(tokenCalls[0]?.headers.authorization).toBe(`Bearer ${DEV_CREDENTIALS.publicKey}`);
    expect(JSON.parse(tokenCalls[0]?.body ?? '{}')).toMatchObject({
      type: 'card',
      number: '4242424242424242',
    });
    // Bollard served the module and the config, and saw nothing of the card.
    const toBollard = seen.filter((r) => r.url.startsWith(stack.bollardUrl));
    expect(toBollard.map((r) => new URL(r.url).pathname)).toContain('/v1/config');
    for (const r of toBollard) {
      expect(r.method).toBe('GET');
      expect(`${r.url}${r.body}`).not.toContain('4242');
    }
  });

  it.each([
    [
      'a number failing Luhn',
      { number: '4242 4242 4242 4241', expiry_month: 12, expiry_year: nextYear, cvv: '100' },
      'card_number_invalid',
      'number',
    ],
    [
      'a too-short number',
      { number: '4242', expiry_month: 12, expiry_year: nextYear, cvv: '100' },
      'card_number_invalid',
      'number',
    ],
    [
      'month 13',
      { number: '4242424242424242', expiry_month: 13, expiry_year: nextYear, cvv: '100' },
      'expiry_invalid',
      'expiry',
    ],
    [
      'an expired card',
      { number: '4242424242424242', expiry_month: 1, expiry_year: 2020, cvv: '100' },
      'card_expired',
      'expiry',
    ],
    [
      'a 4-digit CVV on Visa',
      { number: '4242424242424242', expiry_month: 12, expiry_year: nextYear, cvv: '1000' },
      'cvv_invalid',
      'cvv',
    ],
    [
      'a 3-digit CVV on Amex',
      { number: '3782 822463 10005', expiry_month: 12, expiry_year: nextYear, cvv: '100' },
      'cvv_invalid',
      'cvv',
    ],
  ])('refuses %s before sending anything', async (_name, card, code, field) => {
    seen.length = 0;
    const out = await tokenize(card);
    expect(out).toMatchObject({ ok: false, code, fields: [field] });
    expect(out.message).toMatch(/\.$/);
    expect(posts()).toHaveLength(0);
  });

  it('maps a refused public key to configuration_invalid, and never sends a secret key at all', async () => {
    const card = { number: '4242424242424242', expiry_month: 12, expiry_year: nextYear, cvv: '100' };
    const unknown = await tokenize(card, {
      publicKey: 'pk_sbox_unknownpublickeyaaaaaaaaaq',
      tokenizationUrl: `${stack.simUrl}/tokens`,
    });
    expect(unknown).toMatchObject({ ok: false, code: 'configuration_invalid' });
    expect(unknown.requestId).toBeTruthy();

    seen.length = 0;
    const secret = await tokenize(card, {
      publicKey: DEV_CREDENTIALS.secretKey,
      tokenizationUrl: `${stack.simUrl}/tokens`,
    });
    expect(secret).toMatchObject({ ok: false, code: 'configuration_invalid' });
    expect(posts()).toHaveLength(0);
  });

  it("maps Checkout.com's 422 error codes to shopper messages", async () => {
    // The page's clock says 2000, so the helper lets a 2001 expiry through; the simulator refuses it.
    const out = await tokenize(
      { number: '4242424242424242', expiry_month: 1, expiry_year: 2001, cvv: '100' },
      {},
      '2000-06-01T00:00:00Z',
    );
    expect(out).toMatchObject({ ok: false, fields: ['expiry'] });
    expect(out.code).toMatch(/^(card_expired|expiry_invalid)$/);
    expect(out.requestId).toBeTruthy();
  });

  it('reports network_error when the tokenization host is unreachable', async () => {
    const out = await tokenize(
      { number: '4242424242424242', expiry_month: 12, expiry_year: nextYear, cvv: '100' },
      { publicKey: DEV_CREDENTIALS.publicKey, tokenizationUrl: 'http://127.0.0.1:1/tokens' },
    );
    expect(out).toMatchObject({ ok: false, code: 'network_error' });
  });
});
