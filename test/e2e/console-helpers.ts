import { createHmac, hkdfSync } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';

/**
 * What the console's browser tests share: page watching (console errors, responses), axe-core, the
 * screenshot artifacts (`test-results/console/`, git-ignored), keyboard helpers, and the secret scan.
 */

export const ARTIFACTS = resolve(import.meta.dirname, '../../test-results/console');

/** Everything a page said and fetched, for the console-error and secret checks. */
export interface PageRecord {
  errors: string[];
  /** Same-origin responses: `METHOD path status` and the body. */
  responses: Array<{ what: string; body: string }>;
}

export function watch(page: Page, origin: string): PageRecord {
  const record: PageRecord = { errors: [], responses: [] };
  page.on('console', (msg) => {
    if (msg.type() === 'error') record.errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => record.errors.push(`pageerror: ${err.message}`));
  page.on('response', async (res) => {
    if (!res.url().startsWith(origin)) return;
    const what = `${res.request().method()} ${res.url().slice(origin.length)} ${res.status()}`;
    const body = await res.text().catch(() => '');
    record.responses.push({ what, body: `${JSON.stringify(await res.allHeaders())}\n${body}` });
  });
  return record;
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/**
 * Runs axe-core in the page (evaluated through the DevTools protocol, so the page's CSP, which allows
 * no inline script, stays as it is) and returns the serious and critical violations.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(
    () => typeof (window as unknown as { axe?: unknown }).axe !== 'undefined',
  );
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (ctx: Document, opts: unknown) => Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Presses Tab (or Shift+Tab) until the focused element matches `selector`. */
export async function tabTo(page: Page, selector: string, options: { max?: number; back?: boolean } = {}) {
  for (let i = 0; i < (options.max ?? 80); i++) {
    const here = await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector);
    if (here) return;
    await page.keyboard.press(options.back ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`could not reach ${selector} with the keyboard`);
}

/** The text of the focused element (what a screen reader would start reading). */
export function focusedText(page: Page): Promise<string> {
  return page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
}

/** The console session's signing key as Bollard derives it from the dev admin token (session.ts). */
export function sessionSigningKeys(): Buffer[] {
  const ikm = `${DEV_CREDENTIALS.adminToken}\u0000`;
  return ['session', 'csrf'].map((purpose) =>
    Buffer.from(hkdfSync('sha256', ikm, 'bollard-console', `bollard-console-${purpose}-v1`, 32)),
  );
}

/** Every spelling of a secret worth looking for: as is, and keys in hex and base64(url). */
export function secretNeedles(): Array<{ name: string; needle: string }> {
  // Every secret Bollard runs with in development (.dev.vars), by name.
  const out: Array<{ name: string; needle: string }> = readFileSync(
    resolve(import.meta.dirname, '../../.dev.vars'),
    'utf8',
  )
    .split('\n')
    .flatMap((line) => {
      const m = /^([A-Z_]+)="?([^"]+)"?$/.exec(line.trim());
      return m ? [{ name: m[1] as string, needle: m[2] as string }] : [];
    });
  for (const [i, key] of sessionSigningKeys().entries()) {
    const name = i === 0 ? 'session signing key' : 'csrf key';
    out.push({ name: `${name} (hex)`, needle: key.toString('hex') });
    out.push({ name: `${name} (base64url)`, needle: key.toString('base64url') });
    out.push({ name: `${name} (base64)`, needle: key.toString('base64') });
  }
  return out;
}

/** HMAC-SHA256 hex, to sign webhook deliveries like Checkout.com. */
export function ckoSignature(body: string, key: string = DEV_CREDENTIALS.webhookSigningKey): string {
  return createHmac('sha256', key).update(body).digest('hex');
}
