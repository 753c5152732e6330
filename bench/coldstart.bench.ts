import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkerOptions } from 'miniflare';
import { bollardWorker, bundles, mainModule, onSocket, startMiniflare } from '../scripts/bench-topology';
import { DEV_CREDENTIALS } from '../src/dev/credentials';
import { printTable, round, writeResult } from './lib';

/**
 * Cold start: a fresh workerd (a new Miniflare instance, fresh storage) per measurement, Bollard vs a
 * bare Hono Worker, interleaved, REPS times each; medians reported. Measured: time until workerd is
 * ready (process start, config, script compile), the first request (for Bollard `GET /healthz`, and in
 * separate instances a first webhook delivery, which also creates its inbox object), and a second, warm
 * request for reference. Both Workers are bundled by `wrangler deploy --dry-run`.
 */
const REPS = 5;

type Kind = 'healthz' | 'webhook';

function webhookInit(): RequestInit {
  const suffix = 'abcdefghijklmnopqrstuvwxyz'.slice(0, 26);
  const body = JSON.stringify({
    id: `evt_${suffix}`,
    type: 'payment_captured',
    created_on: new Date().toISOString(),
    data: { id: `pay_${suffix}`, action_id: `act_${suffix}`, amount: 1000, currency: 'EUR' },
  });
  const signature = createHmac('sha256', DEV_CREDENTIALS.webhookSigningKey).update(body).digest('hex');
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cko-signature': signature },
    body,
  };
}

interface Sample {
  readyMs: number;
  firstMs: number;
  secondMs: number;
  status: number;
}

async function once(worker: WorkerOptions, kind: Kind): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'bollard-cold-'));
  const t0 = performance.now();
  const { mf } = startMiniflare([onSocket(worker)], dir);
  try {
    await mf.ready;
    const t1 = performance.now();
    const base = (await mf.unsafeGetDirectURL(worker.name)).toString();
    const path = worker.name === 'bare' ? '' : kind === 'webhook' ? 'webhooks/checkout' : 'healthz';
    const request = () => fetch(`${base}${path}`, kind === 'webhook' ? webhookInit() : {});
    const t2 = performance.now();
    const first = await request();
    await first.arrayBuffer();
    const t3 = performance.now();
    await (await request()).arrayBuffer();
    const t4 = performance.now();
    return { readyMs: t1 - t0, firstMs: t3 - t2, secondMs: t4 - t3, status: first.status };
  } finally {
    try {
      await mf.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export default async function run(): Promise<void> {
  const built = await bundles();
  const bollard = bollardWorker(built.bollard);
  const bare: WorkerOptions = { name: 'bare', ...mainModule(built.bare), compatibilityDate: '2026-04-26' };
  const samples: Record<string, Sample[]> = {};
  const add = (key: string, s: Sample) => {
    const list = samples[key] ?? [];
    list.push(s);
    samples[key] = list;
  };
  for (const kind of ['healthz', 'webhook'] as const) {
    for (let i = 0; i < REPS; i++) {
      // Alternate which goes first, so neither always follows a just-disposed workerd.
      const order = i % 2 === 0 ? [bollard, bare] : [bare, bollard];
      for (const worker of order) add(`${worker.name} ${kind}`, await once(worker, kind));
    }
  }
  const rows = Object.entries(samples).map(([key, list]) => ({
    worker: key.split(' ')[0] ?? key,
    'first request': key.endsWith('webhook') ? 'POST (webhook delivery)' : 'GET',
    'ready ms': round(median(list.map((s) => s.readyMs))),
    'first request ms': round(median(list.map((s) => s.firstMs))),
    'second request ms': round(median(list.map((s) => s.secondMs))),
    statuses: [...new Set(list.map((s) => s.status))].join(','),
  }));
  printTable(`Cold start: fresh workerd per sample, median of ${REPS}`, rows);
  const pick = (worker: string, kind: Kind) =>
    rows.find(
      (r) => r.worker === worker && r['first request'].startsWith(kind === 'webhook' ? 'POST' : 'GET'),
    );
  const ratio = (kind: Kind, field: 'ready ms' | 'first request ms') =>
    round((pick('bollard', kind)?.[field] ?? Number.NaN) / (pick('bare', kind)?.[field] ?? Number.NaN));
  const summary = {
    first_request_ratio: ratio('healthz', 'first request ms'),
    first_webhook_ratio: ratio('webhook', 'first request ms'),
    ready_ratio: ratio('healthz', 'ready ms'),
  };
  console.log(
    `Bollard / bare: first GET ${summary.first_request_ratio}x, first webhook ${summary.first_webhook_ratio}x, ready ${summary.ready_ratio}x`,
  );
  writeResult('coldstart', { reps: REPS, rows, summary, samples });
}
