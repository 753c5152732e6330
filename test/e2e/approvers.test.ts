import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../../scripts/stack';
import { SoftAuthenticator } from '../approvers/support/soft-authenticator';
import { ADMIN, approverRows, checkView, signIn, submitRegistration } from './approver-helpers';
import { type Browser, launchChromium } from './browser';
import { type PageRecord, tabTo, watch } from './console-helpers';
import { type Person, VirtualPasskeys } from './webauthn';

/**
 * Approvers and their passkeys in real Chromium against real `wrangler dev`, with virtual WebAuthn
 * authenticators (the DevTools protocol's `WebAuthn` domain): registering the first approver, a second one
 * confirmed by the first's passkey, one authenticator refused as a second approver, each approver's passkey
 * tested on its own, an authenticator that cannot verify its user refused (by the browser, and by Bollard
 * when such an assertion is signed anyway), and removal with another approver's passkey. The console is
 * opened at `localhost`: WebAuthn refuses an IP address as the relying party id.
 */
const SIM_PORT = 18840;
const BOLLARD_PORT = 18841;
const ORIGIN = `http://localhost:${BOLLARD_PORT}`;
let stack: Stack;
let browser: Browser;
let page: Page;
let record: PageRecord;
let passkeys: VirtualPasskeys;
let ada: Person;
let grace: Person;

const approvers = () => approverRows(ORIGIN);

beforeAll(async () => {
  stack = await startStack({ simPort: SIM_PORT, bollardPort: BOLLARD_PORT });
  browser = await launchChromium();
  page = await browser.context.newPage();
  record = watch(page, ORIGIN);
  passkeys = await VirtualPasskeys.attach(page);
  await passkeys.routeBy(page);
  ada = passkeys.person('Ada Lovelace');
  grace = passkeys.person('Grace Hopper');
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

afterEach(() => {
  expect(record.errors).toEqual([]);
});

const view = (heading: string, name: string) => checkView(page, heading, name);

describe('approvers and their passkeys, in Chromium', () => {
  it('registers the first approver from the keyboard: a passkey with user verification, RP id the host', async () => {
    await signIn(page, ORIGIN);
    await tabTo(page, '#nav a[href="#/approvers"]', { back: true });
    await page.keyboard.press('Enter');
    await view('Approvers', 'approvers-empty');
    expect(await page.textContent('#enrollment-hint')).toContain('There is no approver yet');

    await submitRegistration(page, passkeys, ada, 'Ada Lovelace');
    await page.locator('#approvers-flash', { hasText: 'Approver Ada Lovelace registered.' }).waitFor();
    await view('Approvers', 'approvers-ada');
    const [row] = await approvers();
    expect(row).toMatchObject({ name: 'Ada Lovelace', rp_id: 'localhost', last_used_at: null });
    ada.approverId = row?.id;
    const [credential] = await passkeys.credentialsOf(ada);
    expect(credential?.isResidentCredential).toBe(true);
    expect(Buffer.from(credential?.credentialId ?? '', 'base64').toString('base64url')).toBe(
      row?.credential_id,
    );
  });

  it('a second approver is confirmed by the first one’s passkey; one authenticator is never two approvers', async () => {
    expect(await page.textContent('#enrollment-hint')).toContain('An existing approver confirms');
    expect(await page.inputValue('#sponsor')).toBe(ada.approverId);
    await submitRegistration(page, passkeys, grace, 'Grace Hopper');
    await page.locator('#approvers-flash', { hasText: 'Approver Grace Hopper registered.' }).waitFor();
    await view('Approvers', 'approvers-two');
    const rows = await approvers();
    expect(rows.map((r) => r.name)).toEqual(['Ada Lovelace', 'Grace Hopper']);
    grace.approverId = rows[1]?.id;
    expect(rows[1]?.credential_id).not.toBe(rows[0]?.credential_id);
    // Ada's passkey signed the consent: her credential was used.
    expect(rows[0]?.last_used_at).not.toBeNull();

    // Ada's authenticator already holds an approver's passkey: the browser refuses to make a second one.
    await submitRegistration(page, passkeys, ada, 'Ada again');
    await page
      .locator('#register-error [role=alert]', { hasText: 'already holds an approver’s passkey' })
      .waitFor();
    await view('Approvers', 'approvers-same-authenticator');
    expect(await approvers()).toHaveLength(2);
  });

  it('tests each approver’s passkey on its own', async () => {
    await page.reload();
    await view('Approvers', 'approvers-before-tests');
    const before = await approvers();
    for (const person of [ada, grace]) {
      await tabTo(page, `#test-${person.approverId}`);
      await page.keyboard.press('Enter');
      await page.locator(`#test-result-${person.approverId} .ok`, { hasText: 'works here' }).waitFor();
    }
    await view('Approvers', 'approvers-tested');
    const after = await approvers();
    for (const [i, row] of after.entries()) expect(row.last_used_at).not.toBe(before[i]?.last_used_at);
  });

  it('refuses an authenticator that does not verify its user: in the browser, and at Bollard', async () => {
    // Ada's passkey on a device that can only be touched: the browser will not make the assertion.
    const touchOnly = passkeys.person('Ada, touch only', { userVerified: false });
    touchOnly.credentials = await passkeys.credentialsOf(ada);
    passkeys.answering = touchOnly;
    const usedBefore = (await approvers())[0]?.last_used_at;
    await tabTo(page, `#test-${ada.approverId}`);
    await page.keyboard.press('Enter');
    await page
      .locator(`#test-result-${ada.approverId} [role=alert]`, { hasText: 'could not verify you' })
      .waitFor({ timeout: 60_000 });
    await view('Approvers', 'approvers-uv-refused');
    passkeys.answering = null;
    await passkeys.use(ada);

    // The same key, signing without the user-verified flag (as a tampered client could): Bollard refuses.
    const [credential] = await passkeys.credentialsOf(ada);
    const signer = await SoftAuthenticator.fromPkcs8(
      Buffer.from(credential?.privateKey ?? '', 'base64'),
      Buffer.from(credential?.credentialId ?? '', 'base64'),
      (credential?.signCount ?? 0) + 1,
    );
    const options = await fetch(`${ORIGIN}/admin/approvers/${ada.approverId}/challenge`, {
      method: 'POST',
      headers: ADMIN,
      body: JSON.stringify({ approver_id: ada.approverId, purpose: 'test' }),
    });
    const assertion = await signer.assert((await options.json()) as { challenge: string }, ORIGIN, {
      noUserVerification: true,
      counter: (credential?.signCount ?? 0) + 1,
    });
    const res = await fetch(`${ORIGIN}/admin/approvers/${ada.approverId}/test`, {
      method: 'POST',
      headers: ADMIN,
      body: JSON.stringify({ assertion }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error_codes: string[] }).error_codes).toEqual([
      'approver_verification_failed',
      'user_verification_required',
    ]);
    expect((await approvers())[0]?.last_used_at).toBe(usedBefore);
  });

  it('removes an approver with another approver’s passkey', async () => {
    await page.reload();
    await view('Approvers', 'approvers-before-removal');
    await tabTo(page, `#remove-${grace.approverId}`);
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('confirm-remove');
    await page.selectOption('#remove-by', ada.approverId ?? '');
    await tabTo(page, '#confirm-remove');
    await page.keyboard.press('Enter');
    await page.locator('#approvers-flash', { hasText: 'Approver Grace Hopper removed.' }).waitFor();
    await view('Approvers', 'approvers-removed');
    expect((await approvers()).map((r) => r.name)).toEqual(['Ada Lovelace']);
  });
});
