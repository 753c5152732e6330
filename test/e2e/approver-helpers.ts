import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import { screenshot, seriousViolations, tabTo } from './console-helpers';
import type { Person, VirtualPasskeys } from './webauthn';

/**
 * What the approvers' and approvals' browser tests share: signing in, checking a view (axe finds nothing
 * serious; a screenshot), and registering an approver through the console with a virtual passkey.
 */

export const ADMIN = {
  authorization: `Bearer ${DEV_CREDENTIALS.adminToken}`,
  'content-type': 'application/json',
};

export interface ApproverRow {
  id: string;
  name: string;
  credential_id: string;
  rp_id: string;
  last_used_at: string | null;
}

export async function approverRows(origin: string): Promise<ApproverRow[]> {
  const res = await fetch(`${origin}/admin/approvers`, { headers: ADMIN });
  return ((await res.json()) as { data: ApproverRow[] }).data;
}

/** Waits for a view by its heading, then checks it: axe finds nothing serious, and a screenshot. */
export async function checkView(page: Page, heading: string, name: string): Promise<void> {
  await page.locator('main h1', { hasText: heading }).waitFor();
  await page.waitForSelector('main:not([aria-busy])');
  const violations = await seriousViolations(page);
  expect(violations, `${name}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
  await screenshot(page, name);
}

/** Signs in from the keyboard at `origin` (the admin token, once, for a session cookie). */
export async function signIn(page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/admin`);
  await page.locator('main h1', { hasText: 'Sign in' }).waitFor();
  await page.keyboard.type(DEV_CREDENTIALS.adminToken);
  await page.keyboard.press('Enter');
  await page.locator('main h1', { hasText: 'Agents' }).waitFor();
}

/** Fills and submits the Approvers view's registration form with `person`'s authenticator plugged in. */
export async function submitRegistration(
  page: Page,
  passkeys: VirtualPasskeys,
  person: Person,
  name: string,
): Promise<void> {
  passkeys.nextRegistrant = person;
  await tabTo(page, '#approver-name');
  await page.keyboard.type(name);
  await tabTo(page, '#register-submit');
  await page.keyboard.press('Enter');
}

/** Registers `person` as approver `name` through the console and records their approver id. */
export async function registerApprover(
  page: Page,
  origin: string,
  passkeys: VirtualPasskeys,
  person: Person,
  name: string,
): Promise<void> {
  await submitRegistration(page, passkeys, person, name);
  await page.locator('#approvers-flash', { hasText: `Approver ${name} registered.` }).waitFor();
  person.approverId = (await approverRows(origin)).find((r) => r.name === name)?.id;
}
