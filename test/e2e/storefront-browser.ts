import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/**
 * Helpers for the storefront's end-to-end tests. The browser itself comes from the shared launcher
 * (`browser.ts`: `BOLLARD_CHROMIUM`, else Debian's Chromium, else `@sparticuz/chromium`). Failures leave
 * a screenshot in a temporary folder, named in the error.
 */
export { type Browser, launchChromium } from './browser';

export const SCREENSHOT_DIR = join(tmpdir(), 'bollard-storefront-e2e');

/** Runs a browser step; on failure saves a full-page screenshot and adds its path to the error. */
export async function withScreenshot<T>(page: Page, name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const path = join(SCREENSHOT_DIR, `${name.replace(/[^a-z0-9-]+/gi, '_')}-${Date.now()}.png`);
    await page.screenshot({ path, fullPage: true }).catch(() => undefined);
    if (err instanceof Error) err.message += `\n(screenshot: ${path})`;
    throw err;
  }
}

/** Every request the page sends, with its body, to check what reached which origin. */
export interface SeenRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

export function recordRequests(page: Page): SeenRequest[] {
  const seen: SeenRequest[] = [];
  page.on('request', (req) => {
    seen.push({ url: req.url(), method: req.method(), headers: req.headers(), body: req.postData() ?? '' });
  });
  return seen;
}
