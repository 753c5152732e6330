import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import { until } from './until';

/**
 * `npm start -- --oauth` for real, then `bollard doctor` against it: the summary and `/admin/status` say
 * oauth, every check passes (the test event goes Bollard → the simulator's `POST /workflows/{id}/test` →
 * signed delivery → Bollard's receiver → inbox), and breaking the workflow's signing key, then removing
 * the workflow, makes the doctor fail with a fix.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const SIM_PORT = 18812;
const BOLLARD_PORT = 18813;
const simUrl = `http://127.0.0.1:${SIM_PORT}`;
const bollardUrl = `http://127.0.0.1:${BOLLARD_PORT}`;
let child: ChildProcess | undefined;
let output = '';

beforeAll(async () => {
  child = spawn(resolve(ROOT, 'node_modules/.bin/tsx'), ['scripts/start.ts', '--oauth'], {
    cwd: ROOT,
    env: { ...process.env, SIM_PORT: String(SIM_PORT), BOLLARD_PORT: String(BOLLARD_PORT) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (c: Buffer) => {
    output += c.toString();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  await until(async () => (output.includes('Ctrl-C stops both.') ? true : undefined), 100_000).catch(() => {
    throw new Error(`npm start -- --oauth did not come up:\n${output}`);
  });
});

afterAll(async () => {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child?.once('exit', r));
  child.kill('SIGINT');
  await exited;
});

interface Row {
  check: string;
  ok: boolean;
  detail: string;
  fix: string | null;
}

async function doctor(json = false): Promise<{ code: number; text: string; rows: Row[] }> {
  const lines: string[] = [];
  const code = await main(['doctor', '--url', bollardUrl, ...(json ? ['--json'] : [])], (s) => lines.push(s));
  const text = lines.join('\n');
  return { code, text, rows: json ? (JSON.parse(text) as { checks: Row[] }).checks : [] };
}

function rowOf(rows: Row[], check: string): Row {
  const r = rows.find((x) => x.check === check);
  if (!r) throw new Error(`no ${check} row`);
  return r;
}

/** How many `POST /workflows/{id}/test` calls the simulator has answered. */
async function simTestCalls(): Promise<number> {
  const res = await fetch(`${simUrl}/_sim/stats`, {
    headers: { Authorization: `Bearer ${DEV_CREDENTIALS.simAdminKey}` },
  });
  const stats = (await res.json()) as { requests: { by_route: Record<string, number> } };
  return stats.requests.by_route['POST /workflows/{id}/test'] ?? 0;
}

const simApi = (path: string, init: RequestInit = {}) =>
  fetch(`${simUrl}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${DEV_CREDENTIALS.secretKey}`, 'Content-Type': 'application/json' },
  });

describe('npm start -- --oauth, checked by bollard doctor', () => {
  it('runs Bollard in oauth mode, and says so', async () => {
    expect(output).toMatch(/Auth mode {15}oauth \(CHECKOUT_AUTH=oauth/);
    const res = await fetch(`${bollardUrl}/admin/status`, {
      headers: { Authorization: `Bearer ${DEV_CREDENTIALS.adminToken}` },
    });
    const status = (await res.json()) as { auth: { mode: string } };
    expect(status.auth.mode).toBe('oauth');
  });

  it('passes every check, the test event included', async () => {
    const { code, text } = await doctor();
    expect(text).toMatch(/^admin_token +PASS +accepted; auth mode oauth/m);
    expect(text).toMatch(/^scopes\.agents +PASS +oauth token for "/m);
    expect(text).toMatch(/^webhook_workflow +PASS +wf_[a-z2-7]{26} →/m);
    expect(text).toMatch(/^webhook_test_event +PASS +POST \/workflows\/wf_[a-z2-7]{26}\/test → 204;/m);
    expect(text).toMatch(/^16 checks: 16 passed, 0 failed\.$/m);
    expect(code).toBe(0);
    for (const secret of [DEV_CREDENTIALS.oauthClientSecret, DEV_CREDENTIALS.webhookSigningKey]) {
      expect(text).not.toContain(secret);
    }
  });

  it('sends the test event through the API’s test endpoint, and it reaches the inbox signed', async () => {
    const testsBefore = await simTestCalls();
    const { code, rows } = await doctor(true);
    expect(code).toBe(0);
    const row = rowOf(rows, 'webhook_test_event');
    const match =
      /^POST \/workflows\/(wf_[a-z2-7]{26})\/test → 204; event (evt_[a-z2-7]{26}) \(payment_approved\) was verified and recorded [\d.]+ s later$/.exec(
        row.detail,
      );
    if (!match) throw new Error(`unexpected detail: ${row.detail}`);
    const [, wf, eventId] = match;
    expect(await simTestCalls()).toBe(testsBefore + 1);
    // The simulator delivered it as a workflow test, and Bollard's receiver acknowledged it (signature good).
    const log = (await (
      await fetch(`${simUrl}/_sim/webhooks?workflow_id=${wf}&kind=test`, {
        headers: { Authorization: `Bearer ${DEV_CREDENTIALS.simAdminKey}` },
      })
    ).json()) as {
      data: { event_id: string; url: string; status: string; history: { status_code?: number }[] }[];
    };
    const delivery = log.data.find((d) => d.event_id === eventId);
    expect(delivery).toMatchObject({ url: `${bollardUrl}/webhooks/checkout`, status: 'delivered' });
    expect(delivery?.history.at(-1)?.status_code).toBe(200);
    const recorded = await fetch(`${bollardUrl}/admin/events/${eventId}`, {
      headers: { Authorization: `Bearer ${DEV_CREDENTIALS.adminToken}` },
    });
    expect(recorded.status).toBe(200);
    expect(await recorded.json()).toMatchObject({ id: eventId, type: 'payment_approved' });
  });

  it('fails the test event when the workflow signs with a key Bollard does not hold, then the workflow check when it is gone', async () => {
    const list = (await (await simApi('/workflows')).json()) as { data: { id: string }[] };
    const [wf] = list.data;
    if (!wf) throw new Error('npm start registered no workflow');
    const detail = (await (await simApi(`/workflows/${wf.id}`)).json()) as {
      actions: { id: string; url: string }[];
    };
    const [action] = detail.actions;
    if (!action) throw new Error('the workflow has no action');
    const put = await simApi(`/workflows/${wf.id}/actions/${action.id}`, {
      method: 'PUT',
      body: JSON.stringify({
        type: 'webhook',
        url: action.url,
        signature: { method: 'HMACSHA256', key: 'whsec_not_the_key_bollard_holds' },
      }),
    });
    expect(put.status).toBe(200);

    const broken = await doctor(true);
    expect(broken.code).toBe(1);
    expect(rowOf(broken.rows, 'webhook_workflow').ok).toBe(true);
    const test = rowOf(broken.rows, 'webhook_test_event');
    expect(test.ok).toBe(false);
    expect(test.detail).toMatch(/^the simulator delivered evt_[a-z2-7]{26} and Bollard answered 401/);
    expect(test.fix).toContain('WEBHOOK_SIGNING_KEYS');
    expect(broken.rows.filter((r) => !r.ok).map((r) => r.check)).toEqual(['webhook_test_event']);

    expect((await simApi(`/workflows/${wf.id}`, { method: 'DELETE' })).status).toBe(204);
    const gone = await doctor(true);
    expect(gone.code).toBe(1);
    const workflow = rowOf(gone.rows, 'webhook_workflow');
    expect(workflow.detail).toMatch(new RegExp(`^no workflow delivers to ${bollardUrl}/webhooks/checkout`));
    expect(workflow.fix).toContain(`npx bollard webhooks register --url ${bollardUrl}`);
    expect(rowOf(gone.rows, 'webhook_test_event').ok).toBe(false);
  });
});
