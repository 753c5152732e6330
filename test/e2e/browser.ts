import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/**
 * The one Chromium launcher of the end-to-end tests. The browser, in order:
 * 1. `BOLLARD_CHROMIUM`, when set (any Chromium build);
 * 2. Debian's `/usr/bin/chromium`, when installed;
 * 3. `@sparticuz/chromium` (a devDependency): a Chromium build shipped inside its npm package, unpacked
 *    to the temp folder on first use — so `npm ci` alone is enough, with no system package.
 * Always headless, with a fresh profile, and without background networking (the machine has no network
 * but loopback; Chromium's own connections would only fail, loudly).
 */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export interface Browser {
  context: BrowserContext;
  /** Which executable runs, and why it was picked. */
  executable: { path: string; source: 'BOLLARD_CHROMIUM' | 'debian' | '@sparticuz/chromium' };
  close(): Promise<void>;
}

export async function chromiumExecutable(): Promise<Browser['executable']> {
  const configured = process.env.BOLLARD_CHROMIUM;
  if (configured) return { path: configured, source: 'BOLLARD_CHROMIUM' };
  if (existsSync(DEBIAN_CHROMIUM)) return { path: DEBIAN_CHROMIUM, source: 'debian' };
  const { default: sparticuz } = await import('@sparticuz/chromium');
  return { path: await sparticuz.executablePath(), source: '@sparticuz/chromium' };
}

export async function launchChromium(options: { acceptDownloads?: boolean } = {}): Promise<Browser> {
  const executable = await chromiumExecutable();
  const profile = mkdtempSync(join(tmpdir(), 'bollard-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: executable.path,
    headless: true,
    args: [...CHROMIUM_FLAGS],
    acceptDownloads: options.acceptDownloads ?? true,
  });
  return {
    context,
    executable,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
