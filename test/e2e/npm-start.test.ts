import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import { until } from './until';

/**
 * `npm start` for real (scripts/start.ts on this engineer's ports): both services come up, the webhook
 * workflow it registers on the simulator delivers a triggered event to Bollard's receiver, which
 * acknowledges it (so the signature verified), and Ctrl-C stops both.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const SIM_PORT = 18784;
const BOLLARD_PORT = 18785;
let child: ChildProcess | undefined;

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGINT');
});

it('starts the simulator and Bollard, wires webhooks between them, and stops both on Ctrl-C', async () => {
  let output = '';
  child = spawn(resolve(ROOT, 'node_modules/.bin/tsx'), ['scripts/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, SIM_PORT: String(SIM_PORT), BOLLARD_PORT: String(BOLLARD_PORT) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  await until(async () => (output.includes('Ctrl-C stops both.') ? true : undefined), 100_000).catch(() => {
    throw new Error(`npm start did not come up:\n${output}`);
  });
  const simUrl = `http://127.0.0.1:${SIM_PORT}`;
  const bollardUrl = `http://127.0.0.1:${BOLLARD_PORT}`;
  expect(output).toContain(`Checkout.com simulator  ${simUrl}`);
  expect(output).toContain(`Bollard                 ${bollardUrl}`);
  expect(output).toContain(DEV_CREDENTIALS.secretKey);
  expect(output).toMatch(
    /Webhook workflow {8}wf_[a-z2-7]{26} → http:\/\/127\.0\.0\.1:18785\/webhooks\/checkout/,
  );
  expect((await fetch(`${bollardUrl}/healthz`)).status).toBe(200);

  const admin = {
    Authorization: `Bearer ${DEV_CREDENTIALS.simAdminKey}`,
    'Content-Type': 'application/json',
  };
  const trig = await fetch(`${simUrl}/_sim/trigger`, {
    method: 'POST',
    headers: admin,
    body: JSON.stringify({ type: 'payment_captured' }),
  });
  expect(trig.status).toBe(201);
  const triggered = (await trig.json()) as { events: { id: string; type: string }[] };
  const log = await until(async () => {
    const res = await fetch(`${simUrl}/_sim/webhooks`, { headers: admin });
    const body = (await res.json()) as {
      data: { status: string; url: string; history: { status_code?: number }[] }[];
    };
    return body.data.length === 2 && body.data.every((d) => d.status === 'delivered') ? body.data : undefined;
  }, 30_000);
  for (const d of log) {
    expect(d.url).toBe(`${bollardUrl}/webhooks/checkout`);
    expect(d.history.at(-1)?.status_code).toBe(200);
  }

  // Bollard verified and recorded both events under their simulator ids. The admin index is filled by
  // the inbox's alarm just after the 200 (docs/webhooks.md), so poll briefly.
  for (const e of triggered.events) {
    const body = await until(async () => {
      const res = await fetch(`${bollardUrl}/admin/events/${e.id}`, {
        headers: { Authorization: `Bearer ${DEV_CREDENTIALS.adminToken}` },
      });
      return res.status === 200 ? ((await res.json()) as { event: { type: string } }) : undefined;
    }, 10_000);
    expect(body.event.type).toBe(e.type);
  }

  const exited = new Promise<number | null>((r) => child?.once('exit', (code) => r(code)));
  child.kill('SIGINT');
  expect(await exited).toBe(0);
  await expect(fetch(`${simUrl}/healthz`)).rejects.toThrow();
  await expect(fetch(`${bollardUrl}/healthz`)).rejects.toThrow();
});
