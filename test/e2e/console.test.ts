import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { type Stack, startStack } from '../../scripts/stack';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import { type Browser, launchChromium } from './browser';
import {
  ckoSignature,
  focusedText,
  type PageRecord,
  screenshot,
  secretNeedles,
  seriousViolations,
  tabTo,
  watch,
} from './console-helpers';
import { fetchThroughDevReload } from './dev-reload';
import { until } from './until';

/**
 * The operator console in real Chromium against real `wrangler dev` processes (simulator + Bollard):
 * sign-in, agents, audit, the webhook inbox and health, driven from the keyboard where a person would
 * use it; on every view axe-core finds no serious or critical violation, a screenshot is kept under
 * `test-results/console/`, and the console logs no error; at the end no secret is anywhere it should
 * not be — pages, API answers, Bollard's logs.
 */
const SIM_PORT = 18820;
const BOLLARD_PORT = 18821;
const ADMIN = { authorization: `Bearer ${DEV_CREDENTIALS.adminToken}`, 'content-type': 'application/json' };
const SIM_ADMIN = {
  authorization: `Bearer ${DEV_CREDENTIALS.simAdminKey}`,
  'content-type': 'application/json',
};

let stack: Stack;
let browser: Browser;
let page: Page;
let record: PageRecord;
let bollardLogs = '';
/** The simulator's `wrangler dev` output, last 8,000 characters: printed when a test fails. */
let simLogs = '';
/** Every agent key issued, and the one answer each may appear in. */
const issuedKeys: string[] = [];
/** Rendered views, to scan for secrets; key panels are the only place an agent key may be. */
const views: Array<{ name: string; html: string; showsKey: boolean }> = [];
/** A Checkout.com secret key (`sk_…`, `sk_sbox_…`, `sk_test_…`) as a word of its own. */
const SECRET_KEY_SHAPE = /\bsk_(sbox_|test_)?[A-Za-z0-9]{8,}/;

async function registerWorkflow(): Promise<void> {
  const res = await fetch(`${stack.simUrl}/workflows`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${DEV_CREDENTIALS.secretKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      name: 'console e2e',
      active: true,
      conditions: [
        {
          type: 'event',
          events: {
            gateway: ['payment_approved', 'payment_captured', 'payment_declined'],
            dispute: ['dispute_received', 'dispute_evidence_required', 'dispute_won', 'dispute_lost'],
          },
        },
      ],
      actions: [
        {
          type: 'webhook',
          url: `${stack.bollardUrl}/webhooks/checkout`,
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
    onOutput: (name, chunk) => {
      if (name === 'bollard') bollardLogs += chunk;
      else simLogs = (simLogs + chunk).slice(-8_000);
    },
  });
  await registerWorkflow();
  browser = await launchChromium();
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.bollardUrl });
  page = await browser.context.newPage();
  record = watch(page, stack.bollardUrl);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

beforeEach(() => {
  // What both dev servers said last, beside a failure: a restart or a crash shows there, not in the page.
  onTestFailed(() => {
    console.log(
      `--- simulator, last output:\n${simLogs}\n--- bollard, last output:\n${bollardLogs.slice(-8_000)}`,
    );
  });
});

afterEach(() => {
  // No console error and no uncaught exception on any view, ever.
  expect(record.errors).toEqual([]);
});

/** Waits for a view by its heading, then checks it: axe, a screenshot, and keeps its HTML. */
async function view(heading: string | RegExp, name: string, options: { showsKey?: boolean } = {}) {
  await page.locator('main h1', { hasText: heading }).waitFor();
  await page.waitForSelector('main:not([aria-busy])');
  const violations = await seriousViolations(page);
  expect(violations, `${name}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
  await screenshot(page, name);
  views.push({ name, html: await page.content(), showsKey: options.showsKey ?? false });
}

/**
 * Clicks `selector` and waits for the view that click routes to: a render finished after the click,
 * of the route then in the address bar (the console sets main's data-route and data-shown after each).
 */
async function clickAndWaitForView(selector: string): Promise<void> {
  const before = await page.evaluate(() => Number(document.getElementById('main')?.dataset.shown ?? 0));
  await page.click(selector);
  await page.waitForFunction((shownBefore) => {
    const main = document.getElementById('main');
    return (
      main !== null &&
      Number(main.dataset.shown ?? 0) > shownBefore &&
      main.dataset.route === location.hash &&
      !main.hasAttribute('aria-busy')
    );
  }, before);
}

async function focusIsHeading(text: string | RegExp) {
  const tag = await page.evaluate(() => document.activeElement?.tagName);
  expect(tag).toBe('H1');
  expect(await focusedText(page)).toMatch(text);
}

async function createAgentByApi(grants: Record<string, string>): Promise<{ id: string; key: string }> {
  const res = await fetch(`${stack.bollardUrl}/admin/agents`, {
    method: 'POST',
    headers: ADMIN,
    body: JSON.stringify({ name: `api agent ${Date.now()}`, grants }),
  });
  const body = (await res.json()) as { id: string; key: string };
  issuedKeys.push(body.key);
  return body;
}

async function deliver(body: string): Promise<Response> {
  return fetch(`${stack.bollardUrl}/webhooks/checkout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cko-signature': ckoSignature(body) },
    body,
  });
}

const rnd = () =>
  Array.from(
    crypto.getRandomValues(new Uint8Array(20)),
    (b) => 'abcdefghijklmnopqrstuvwxyz234567'[b & 31],
  ).join('');

describe('the operator console in Chromium', () => {
  it('signs in from the keyboard; the token is exchanged for an HttpOnly cookie and kept nowhere in the page', async () => {
    await page.goto(`${stack.bollardUrl}/admin`);
    await view('Sign in', 'sign-in');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('admin-token');
    await page.keyboard.type(DEV_CREDENTIALS.adminToken);
    await page.keyboard.press('Enter');
    await view('Agents', 'agents-empty');
    await focusIsHeading('Agents');
    const kept = await page.evaluate(() => ({
      cookie: document.cookie,
      local: localStorage.length,
      session: sessionStorage.length,
      html: document.documentElement.outerHTML,
    }));
    expect(kept).toMatchObject({ cookie: '', local: 0, session: 0 });
    expect(kept.html).not.toContain(DEV_CREDENTIALS.adminToken);
    const [cookie] = await browser.context.cookies(stack.bollardUrl);
    expect(cookie).toMatchObject({ name: 'bollard_session', httpOnly: true, sameSite: 'Strict', path: '/' });
  });

  it('reaches every section from the keyboard, focus on each view’s heading', async () => {
    const sections: Array<[string, string, string]> = [
      ['#/audit', 'Audit log', 'audit-empty'],
      ['#/events', 'Webhook inbox', 'events-empty'],
      ['#/dead-letters', 'Dead letters', 'dead-letters-empty'],
      ['#/quarantine', 'Quarantine', 'quarantine-empty'],
      ['#/health', 'Health', 'health-early'],
      ['#/agents', 'Agents', 'agents-again'],
    ];
    for (const [href, heading, name] of sections) {
      await tabTo(page, `#nav a[href="${href}"]`, { back: true });
      await page.keyboard.press('Enter');
      await view(heading, name);
      await focusIsHeading(heading);
      expect(await page.getAttribute(`#nav a[href="${href}"]`, 'aria-current')).toBe('page');
    }
  });

  it('creates an agent with grants, caps and an expiry; shows and copies the key once; rotates; revokes', async () => {
    await tabTo(page, '#new-agent');
    await page.keyboard.press('Enter');
    await view('New agent', 'agent-new');
    await tabTo(page, '#agent-name');
    const name = `refund bot ${rnd().slice(0, 6)}`;
    await page.keyboard.type(name);
    // The grant matrix: one radio group per area; Tab reaches a group, the arrows choose.
    await tabTo(page, 'input[name="grant-payments"]');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await tabTo(page, 'input[name="grant-disputes"]');
    await page.keyboard.press('ArrowRight');
    expect(await page.isChecked('#grant-payments-write')).toBe(true);
    expect(await page.isChecked('#grant-disputes-read')).toBe(true);
    await tabTo(page, '#limit-currencies');
    await page.keyboard.type('EUR');
    await tabTo(page, '#limit-per-call');
    await page.keyboard.type('EUR 50000');
    await tabTo(page, '#limit-per-day');
    await page.keyboard.type('EUR 200000');
    await page.fill('#expires-at', '2030-12-31T12:00');
    await tabTo(page, '#create-submit');
    await page.keyboard.press('Enter');

    await view('Agent created', 'agent-key-shown', { showsKey: true });
    const key = (await page.textContent('#agent-key')) ?? '';
    expect(key).toMatch(/^bak_[A-Za-z0-9_-]{20,}$/);
    issuedKeys.push(key);
    await tabTo(page, '#copy-key');
    await page.keyboard.press('Enter');
    await page.locator('text=Copied to the clipboard.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    await tabTo(page, '#key-done');
    await page.keyboard.press('Enter');
    await view(name, 'agent-detail');
    expect(await page.content()).not.toContain(key);
    const detail = (await page.textContent('main')) ?? '';
    expect(detail).toContain('payments: write, disputes: read');
    expect(detail).toContain('currencies EUR; per call EUR 50000; per day EUR 200000');
    const agentId = (await page.textContent('dl.facts dd code')) ?? '';
    expect(agentId).toMatch(/^agt_/);

    // Its recent calls, from the audit log: one allowed read, one refused write.
    const asAgent = (path: string, init: RequestInit = {}) =>
      fetch(`${stack.bollardUrl}/agent/v1${path}`, { ...init, headers: { authorization: `Bearer ${key}` } });
    await asAgent('/disputes?limit=1');
    expect((await asAgent('/customers', { method: 'POST' })).status).toBe(403);
    await page.reload();
    await view(name, 'agent-detail-calls');
    const calls = page.locator('main table tbody tr');
    expect(await calls.count()).toBe(2);
    expect(await calls.nth(0).textContent()).toContain('denied');
    expect(await calls.nth(1).textContent()).toContain('allowed');

    // Rotate: confirm with the keyboard; the new key is shown once; the old one stops working.
    await tabTo(page, '#rotate-key');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('confirm-action');
    await page.keyboard.press('Enter');
    await view('Key rotated', 'agent-key-rotated', { showsKey: true });
    const rotated = (await page.textContent('#agent-key')) ?? '';
    expect(rotated).toMatch(/^bak_/);
    expect(rotated).not.toBe(key);
    issuedKeys.push(rotated);
    expect((await asAgent('/payments/pay_x')).status).toBe(401);
    await tabTo(page, '#key-done');
    await page.keyboard.press('Enter');
    await view(name, 'agent-after-rotation');

    await tabTo(page, '#revoke-agent');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await page.locator('main .badge-revoked').first().waitFor();
    await view(name, 'agent-revoked');
    expect(await page.isDisabled('#rotate-key')).toBe(true);
  });

  it('audit: filters by agent, decision, area and time, pages, verifies the chain, exports NDJSON', async () => {
    const agent = await createAgentByApi({ payments: 'read' });
    for (let i = 0; i < 55; i += 11) {
      await Promise.all(
        Array.from({ length: Math.min(11, 55 - i) }, () =>
          fetch(`${stack.bollardUrl}/agent/v1/payments`, {
            method: 'POST',
            headers: { authorization: `Bearer ${agent.key}`, 'content-type': 'application/json' },
            body: '{}',
          }),
        ),
      );
    }
    await page.goto(`${stack.bollardUrl}/admin#/audit`);
    await view('Audit log', 'audit');
    await page.fill('#audit-agent', agent.id);
    await page.selectOption('#audit-decision', 'denied');
    await page.selectOption('#audit-area', 'payments');
    await tabTo(page, '#audit-filter button[type=submit]');
    await page.keyboard.press('Enter');
    await page.locator('.pager', { hasText: 'Showing 1–50 of 55' }).waitFor();
    await view('Audit log', 'audit-filtered');
    const decisions = await page.locator('main tbody tr td:nth-child(6)').allTextContents();
    expect(decisions).toHaveLength(50);
    expect(new Set(decisions)).toEqual(new Set(['denied']));
    await tabTo(page, 'a[rel=next]');
    await page.keyboard.press('Enter');
    await page.locator('.pager', { hasText: 'Showing 51–55 of 55' }).waitFor();
    await view('Audit log', 'audit-page-2');

    // Another area, or a window before the calls: nothing. Each filter is applied to the form of the
    // view the previous one produced (the views look alike, so the wait is for the render itself).
    await page.selectOption('#audit-area', 'disputes');
    await clickAndWaitForView('#audit-filter button[type=submit]');
    expect(await page.evaluate(() => location.hash)).toContain('area=disputes');
    await page.locator('main p.empty', { hasText: 'No records match.' }).waitFor();
    await page.selectOption('#audit-area', '');
    await page.fill('#audit-to', '2001-01-01T00:00');
    await clickAndWaitForView('#audit-filter button[type=submit]');
    expect(await page.evaluate(() => location.hash)).toMatch(/to=2001-01-01T/);
    await page.locator('main p.empty', { hasText: 'No records match.' }).waitFor();
    await page.locator('#audit-to').evaluate((el) => {
      (el as HTMLInputElement).value = '';
    });
    await clickAndWaitForView('#audit-filter button[type=submit]');
    expect(await page.evaluate(() => location.hash)).not.toContain('to=');
    await page.locator('.pager', { hasText: 'of 55' }).waitFor();

    await tabTo(page, '#verify-chain');
    await page.keyboard.press('Enter');
    await page.locator('#verify-result [data-valid="true"]').waitFor();
    expect(await page.textContent('#verify-result')).toMatch(/Chain valid: \d+ records/);
    await view('Audit log', 'audit-verified');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-ndjson')]);
    const path = await download.path();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(55);
    for (const line of lines)
      expect(JSON.parse(line)).toMatchObject({ agent_id: agent.id, decision: 'denied' });
  });

  it('webhook inbox: finds an event by id the moment it is acknowledged; timelines by event time; search; filters; replay', async () => {
    // An event delivered just now is found by id at once (before the listing has caught up).
    const pay = `pay_${rnd().slice(0, 26)}`;
    const later = {
      id: `evt_${rnd()}`,
      type: 'payment_captured',
      created_on: '2026-11-24T09:00:00.1234567Z',
    };
    const earlier = { id: `evt_${rnd()}`, type: 'payment_approved', created_on: '2026-11-24T09:00:00.12Z' };
    for (const e of [later, earlier]) {
      const res = await deliver(
        JSON.stringify({
          ...e,
          data: { id: pay, action_id: `act_${rnd()}`, amount: 1500, currency: 'EUR', reference: 'ORD-1' },
          _links: { subject: { href: `https://api.checkout.com/workflows/events/subject/${pay}` } },
        }),
      );
      expect(res.status).toBe(200);
    }
    const byId = await fetch(`${stack.bollardUrl}/admin/events/${earlier.id}`, { headers: ADMIN });
    expect(byId.status).toBe(200);
    await page.goto(`${stack.bollardUrl}/admin#/events/${later.id}`);
    await view(`Event ${later.id}`, 'event-detail');

    // Search by payment id: the timeline is in event-time order (.12 before .1234567).
    await page.goto(`${stack.bollardUrl}/admin#/events`);
    await view('Webhook inbox', 'events');
    await tabTo(page, '#search-id');
    await page.keyboard.type(pay);
    await page.keyboard.press('Enter');
    await view(`Payment ${pay}`, 'payment-timeline');
    const order = await page
      .locator('#timeline li')
      .evaluateAll((els) => els.map((el) => el.getAttribute('data-event-id')));
    expect(order).toEqual([earlier.id, later.id]);

    // Events from the simulator's workflow: a captured payment and a won dispute.
    // Once, in a clean clone's first run, the simulator's `wrangler dev` restarted its Worker during this
    // call and answered 503 "Your worker restarted mid-request" (dev-reload.ts): sent again, as it asks.
    const trigger = async (type: string) => {
      const res = await fetchThroughDevReload(`${stack.simUrl}/_sim/trigger`, {
        method: 'POST',
        headers: SIM_ADMIN,
        body: JSON.stringify({ type }),
      });
      const text = await res.text();
      expect(res.status, text).toBe(201);
      return JSON.parse(text) as {
        payment_id: string;
        dispute_id?: string;
        events: Array<{ id: string; type: string }>;
      };
    };
    const captured = await trigger('payment_captured');
    const disputed = await trigger('dispute_won');
    const all = [...captured.events, ...disputed.events];
    for (const e of all)
      await until(async () =>
        (await fetch(`${stack.bollardUrl}/admin/events/${e.id}`, { headers: ADMIN })).status === 200
          ? true
          : undefined,
      );
    const dispute = disputed.dispute_id ?? '';
    await page.goto(`${stack.bollardUrl}/admin#/events`);
    await view('Webhook inbox', 'events-2');
    await page.fill('#search-id', dispute);
    await page.press('#search-id', 'Enter');
    await view(`Dispute ${dispute}`, 'dispute-timeline');
    const disputeTypes = await page
      .locator('#timeline li')
      .evaluateAll((els) => els.map((el) => el.getAttribute('data-type')));
    expect(disputeTypes).toContain('dispute_won');

    // Filter by type (the listing trails the acknowledgement by about a second).
    await until(async () => {
      const res = await fetch(`${stack.bollardUrl}/admin/events?type=payment_captured`, { headers: ADMIN });
      return ((await res.json()) as { total_count: number }).total_count >= 2 ? true : undefined;
    });
    await page.goto(`${stack.bollardUrl}/admin#/events`);
    await view('Webhook inbox', 'events-3');
    await page.selectOption('#filter-type', 'payment_captured');
    await page.click('#event-filter button[type=submit]');
    await page.waitForURL(/type=payment_captured/);
    const types = () => page.locator('main table tbody tr td:nth-child(3)').allTextContents();
    await expect.poll(async () => [...new Set(await types())]).toEqual(['payment_captured']);
    expect((await types()).length).toBeGreaterThanOrEqual(2);
    await view('Webhook inbox', 'events-filtered');

    // Replay from the event's page.
    const first = captured.events[0]?.id ?? '';
    await page.goto(`${stack.bollardUrl}/admin#/events/${first}`);
    await view(`Event ${first}`, 'event-detail-sim');
    await tabTo(page, 'button.replay');
    await page.keyboard.press('Enter');
    await page.locator('.replay-cell', { hasText: /Replay \d+ started/ }).waitFor();
  });

  it('quarantine shows size and deliveries; dead letters list with replay', async () => {
    const bad = JSON.stringify({
      id: `evt_${rnd()}`,
      type: 'payment_captured',
      created_on: 'yesterday',
      data: {},
    });
    for (let i = 0; i < 2; i++) expect((await deliver(bad)).status).toBe(200);
    await page.goto(`${stack.bollardUrl}/admin#/quarantine`);
    await view('Quarantine', 'quarantine');
    const row = page.locator('main tbody tr').first();
    const cells = await row.locator('td').allTextContents();
    expect(cells[2]).toBe('2');
    expect(cells[3]).toBe(`${Buffer.byteLength(bad)} bytes`);

    await page.goto(`${stack.bollardUrl}/admin#/dead-letters`);
    await view('Dead letters', 'dead-letters');
    // A handler dead-letters only after its whole backoff schedule (minutes), so the list is served
    // here from a recorded answer holding a real event; its Replay button calls the real API.
    const events = (await (
      await fetch(`${stack.bollardUrl}/admin/events?limit=1`, { headers: ADMIN })
    ).json()) as {
      data: Array<Record<string, unknown>>;
    };
    const dead = { ...events.data[0], status: 'dead_lettered', dead_handlers: ['forward'] };
    await page.route('**/admin/dead-letters?*', (route) =>
      route.fulfill({ json: { total_count: 1, limit: 50, skip: 0, data: [dead] } }),
    );
    await page.reload();
    await view('Dead letters', 'dead-letters-one');
    await tabTo(page, 'button.replay');
    await page.keyboard.press('Enter');
    await page.locator('.replay-cell', { hasText: /Replay \d+ started/ }).waitFor();
    await page.unroute('**/admin/dead-letters?*');
  });

  it('health: governor budgets and shed counts, upstream error rate, token state, the last webhook', async () => {
    // One upstream call first: `wrangler dev` restarts the Worker when a source file changes, and the
    // counters are the answering isolate's own.
    const agent = await createAgentByApi({ payments: 'read' });
    await fetch(`${stack.bollardUrl}/agent/v1/payments/pay_${rnd().slice(0, 26)}`, {
      headers: { authorization: `Bearer ${agent.key}` },
    });
    await page.goto(`${stack.bollardUrl}/admin#/health`);
    await view('Health', 'health');
    const text = (await page.textContent('main')) ?? '';
    expect(text).toContain('Rate governor');
    expect(text).toContain('Shed (answered 429)');
    expect(text).toContain('Secret-key mode');
    expect(await page.textContent('#upstream-error-rate')).toMatch(/^\d+\.\d%$/);
    await page.locator('#last-webhook a').waitFor();
  });

  it('refuses a cross-site write, in the browser and by hand; a forged session signs the page out', async () => {
    const agent = await createAgentByApi({ customers: 'read' });
    const [cookie] = await browser.context.cookies(stack.bollardUrl);
    const byHand = await fetch(`${stack.bollardUrl}/admin/agents/${agent.id}/revoke`, {
      method: 'POST',
      headers: { cookie: `${cookie?.name}=${cookie?.value}`, origin: 'http://evil.example' },
    });
    expect(byHand.status).toBe(403);
    expect(((await byHand.json()) as { error_codes: string[] }).error_codes).toEqual(['csrf_origin_invalid']);

    // A page on another origin (the simulator's port: same site, so SameSite alone would let the cookie
    // through) submits a form to the console's API: refused by the Origin check.
    const other = await browser.context.newPage();
    await other.goto(`${stack.simUrl}/healthz`);
    const answer = other.waitForResponse((r) => r.url().includes('/revoke'));
    await other.evaluate((action) => {
      const form = document.createElement('form');
      form.method = 'POST';
      form.action = action;
      document.body.append(form);
      form.submit();
    }, `${stack.bollardUrl}/admin/agents/${agent.id}/revoke`);
    expect((await answer).status()).toBe(403);
    await other.close();
    const still = (await (
      await fetch(`${stack.bollardUrl}/admin/agents/${agent.id}`, { headers: ADMIN })
    ).json()) as {
      status: string;
    };
    expect(still.status).toBe('active');

    // A forged cookie: the page falls back to sign-in and says why, with no error.
    await browser.context.addCookies([
      {
        name: 'bollard_session',
        value: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.forged',
        url: stack.bollardUrl,
      },
    ]);
    await page.goto('about:blank');
    await page.goto(`${stack.bollardUrl}/admin#/agents`);
    await view('Sign in', 'sign-in-forged');
    expect(await page.textContent('main')).toContain('no longer valid');

    // Sign in again and out: the cookie is gone.
    await page.keyboard.type(DEV_CREDENTIALS.adminToken);
    await page.keyboard.press('Enter');
    await view('Agents', 'agents-final');
    await tabTo(page, '#sign-out', { back: true });
    await page.keyboard.press('Enter');
    await view('Sign in', 'signed-out');
    expect(await browser.context.cookies(stack.bollardUrl)).toEqual([]);
  });

  it('no secret in any page, API answer or log; agent keys only where they are issued', async () => {
    const needles = secretNeedles();
    const haystacks = [
      ...views.map((v) => ({ where: `view ${v.name}`, text: v.html, keyAllowed: v.showsKey })),
      ...record.responses.map((r) => ({
        where: r.what,
        text: r.body,
        keyAllowed: /^POST \/admin\/agents(\/agt_[^/]+\/rotate)? 20[01]$/.test(r.what),
      })),
      { where: 'bollard logs', text: bollardLogs, keyAllowed: false },
    ];
    expect(bollardLogs.length).toBeGreaterThan(0);
    expect(record.responses.length).toBeGreaterThan(20);
    for (const h of haystacks) {
      for (const n of needles) expect(h.text.includes(n.needle), `${n.name} in ${h.where}`).toBe(false);
      // Anything shaped like a Checkout.com secret key, not the letters "sk_" anywhere: a key prefix such as
      // `bak_<26 random>_wxyz` contains them whenever its agent id ends in "sk" (1 agent in 1024; run D).
      expect(h.text, `a secret key's shape in ${h.where}`).not.toMatch(SECRET_KEY_SHAPE);
      if (!h.keyAllowed)
        for (const key of issuedKeys) expect(h.text.includes(key), `agent key in ${h.where}`).toBe(false);
    }
    // And each key did appear where it was issued (the scan looked at the right place).
    for (const key of issuedKeys.slice(0, 2))
      expect(haystacks.some((h) => h.keyAllowed && h.text.includes(key))).toBe(true);
  });
});
