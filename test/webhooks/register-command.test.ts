import { describe, expect, it } from 'vitest';
import { EVENTS } from '../../src/catalog';
import { parseArgs } from '../../src/cli/args';
import { receiverUrl, registerWebhookWorkflow, webhooksCommand } from '../../src/cli/webhooks-command';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';
import { simFetcher } from '../oauth/sim-control';

const sim = simFetcher();
const simFetch: typeof fetch = (input, init) => sim.fetch(input instanceof URL ? input.href : input, init);

interface SimWorkflow {
  id: string;
  conditions: Array<{ type: string; events?: Record<string, string[]> }>;
  actions: Array<{
    url: string;
    headers?: Record<string, string>;
    signature?: { method: string; key: string };
  }>;
}

async function simWorkflow(id: string): Promise<SimWorkflow> {
  const res = await sim.fetch(`http://127.0.0.1:8788/workflows/${id}`, {
    headers: { authorization: `Bearer ${DEV_CREDENTIALS.secretKey}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as SimWorkflow;
}

describe('bollard webhooks register', () => {
  it('creates a workflow on the simulator with a fresh key, the ten event types and the receiver URL', async () => {
    const lines: string[] = [];
    const code = await webhooksCommand(
      parseArgs([
        'register',
        '--url',
        'https://bollard.example.com',
        '--api-base',
        'http://127.0.0.1:8788',
        '--json',
        '--auth-header',
      ]),
      (s) => lines.push(s),
      simFetch,
    );
    expect(code).toBe(0);
    const printed = JSON.parse(lines.join('\n')) as {
      workflow_id: string;
      receiver_url: string;
      secrets: { WEBHOOK_SIGNING_KEYS: string; WEBHOOK_AUTH_HEADER_VALUE: string };
    };
    expect(printed.receiver_url).toBe('https://bollard.example.com/webhooks/checkout');
    expect(printed.secrets.WEBHOOK_SIGNING_KEYS).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);

    const wf = await simWorkflow(printed.workflow_id);
    expect(wf.actions[0]?.url).toBe(printed.receiver_url);
    // The API does not echo the key back; that deliveries are signed with it is shown end to end (test/e2e).
    expect(wf.actions[0]?.signature).toMatchObject({ method: 'HMACSHA256' });
    expect(Object.keys(wf.actions[0]?.headers ?? {})).toEqual(['Authorization']);
    expect(printed.secrets.WEBHOOK_AUTH_HEADER_VALUE).toMatch(/^wha_/);
    const subscribed = Object.values(wf.conditions.find((c) => c.type === 'event')?.events ?? {}).flat();
    expect(subscribed.sort()).toEqual(EVENTS.map((e) => e.type).sort());
  });

  it('never reuses a key, and prints the wrangler secret command in text mode', async () => {
    const keys = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const lines: string[] = [];
      await webhooksCommand(
        parseArgs(['register', '--url', 'https://b.example/']),
        (s) => lines.push(s),
        simFetch,
      );
      const text = lines.join('\n');
      expect(text).toContain('wrangler secret put WEBHOOK_SIGNING_KEYS');
      const key = /'(whsec_[A-Za-z0-9_-]+)'/.exec(text)?.[1];
      expect(key).toBeDefined();
      keys.add(key as string);
    }
    expect(keys.size).toBe(2);
  });

  it('reports the API error codes when the API refuses, and usage errors for bad input', async () => {
    await expect(
      registerWebhookWorkflow({
        apiBase: 'http://127.0.0.1:8788',
        secretKey: 'sk_sbox_wrongwrongwrongwrongwrongwrongq',
        url: 'https://b.example',
        signingKey: 'k',
        fetch: simFetch,
      }),
    ).rejects.toThrow(/answered 401/);
    expect(() => receiverUrl('not a url')).toThrow(/absolute URL/);
    expect(receiverUrl('https://b.example/webhooks/checkout/')).toBe('https://b.example/webhooks/checkout');
    await expect(webhooksCommand(parseArgs(['register']), () => {}, simFetch)).rejects.toThrow(
      /--url is required/,
    );
  });
});
