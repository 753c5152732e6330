import type { CatalogEntry } from '../../catalog';
import type { CheckoutClient } from '../../checkout/contract';
import { inboxCatalogue } from '../../webhooks/stubs';
import { type DoctorCheck, fail, pass } from './types';
import { webhookWorkflowCheck } from './webhook-workflow';

/**
 * `POST /workflows/{id}/test` (the SDKs' `workflows.test`: "validate a workflow in our Sandbox
 * environment"): the API sends sample events of the given types through the workflow's actions. Not a
 * row of the guide's catalog, so it is described here in the catalog's shape for the client.
 */
const TEST_WORKFLOW: CatalogEntry = {
  name: 'testWorkflow',
  method: 'POST',
  path: '/workflows/{id}/test',
  area: 'workflows',
  access: 'write',
  permission: { kind: 'not-stated' },
  event: null,
  movesMoney: false,
  description: 'Send sample events through a workflow (sandbox).',
  actsOn: 'workflow',
  host: 'api',
};

const CHECK = 'webhook_test_event';

export interface TestEventAnswer {
  /** True when the upstream has no workflow test endpoint (production: it is sandbox only): nothing was sent. */
  unsupported: boolean;
  workflow_id: string | null;
  check: DoctorCheck;
}

export interface TestEventOptions {
  /** How long to wait for the event to reach the inbox (default 8 s). */
  waitMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Whether anything signed reached the receiver at or after `since`: recorded, or quarantined by shape. */
async function arrivedSince(env: Env, since: number): Promise<string | null> {
  const catalogue = inboxCatalogue(env);
  const [events, quarantine] = await Promise.all([
    catalogue.list({ limit: 10, skip: 0 }),
    catalogue.quarantined(10, 0),
  ]);
  const event = events.data.find((e) => Date.parse(e.received_at) >= since);
  if (event) return `event ${event.id} (${event.type}) was verified and recorded`;
  const q = quarantine.data.find((e) => Date.parse(e.last_received_at) >= since);
  if (q) return 'a delivery was verified (signature good) but quarantined: Bollard does not accept its shape';
  return null;
}

/**
 * Sends a signed test event through the workflow that delivers to `publicUrl`, with the API's own test
 * endpoint, and waits for it in the inbox. An upstream without that endpoint (production) answers
 * `unsupported`: nothing was sent.
 */
export async function sendTestEvent(
  env: Env,
  client: CheckoutClient,
  publicUrl: string,
  options: TestEventOptions = {},
): Promise<TestEventAnswer> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const { workflowId } = await webhookWorkflowCheck(env, client, publicUrl);
  if (!workflowId) {
    return {
      unsupported: false,
      workflow_id: null,
      check: fail(
        CHECK,
        'no workflow delivers here to send a test event through',
        'fix webhook_workflow first',
      ),
    };
  }
  const since = now();
  let status: number;
  try {
    const res = await client.send(TEST_WORKFLOW, {
      params: { id: workflowId },
      body: { event_types: ['payment_approved'] },
      deadlineMs: 8_000,
    });
    status = res.status;
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'error';
    return {
      unsupported: false,
      workflow_id: workflowId,
      check: fail(CHECK, `POST /workflows/${workflowId}/test failed: ${code}`, 'run the doctor again'),
    };
  }
  if (status === 404 || status === 405 || status === 501) {
    return {
      unsupported: true,
      workflow_id: workflowId,
      check: fail(
        CHECK,
        `the API has no POST /workflows/{id}/test here (answered ${status}; it exists in the sandbox only)`,
        'trigger a real event and watch GET /admin/events',
      ),
    };
  }
  if (status < 200 || status >= 300) {
    return {
      unsupported: false,
      workflow_id: workflowId,
      check: fail(
        CHECK,
        `POST /workflows/${workflowId}/test answered ${status}`,
        'see scopes.agents and run again',
      ),
    };
  }
  const deadline = since + (options.waitMs ?? 8_000);
  for (;;) {
    const found = await arrivedSince(env, since);
    if (found) {
      return {
        unsupported: false,
        workflow_id: workflowId,
        check: pass(
          CHECK,
          `POST /workflows/${workflowId}/test → ${status}; ${found} ${((now() - since) / 1000).toFixed(1)} s later`,
        ),
      };
    }
    if (now() >= deadline) break;
    await sleep(250);
  }
  return {
    unsupported: false,
    workflow_id: workflowId,
    check: fail(
      CHECK,
      `sent through ${workflowId}, but nothing reached the inbox within ${((options.waitMs ?? 8_000) / 1000).toFixed(0)} s`,
      `look at the workflow's delivery log (GET /workflows/events/{eventId}/actions/{actionId}): a 401 means its signing key is not in WEBHOOK_SIGNING_KEYS; no attempt means its URL does not reach this Bollard`,
    ),
  };
}
