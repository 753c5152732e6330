import { EVENTS } from '../../catalog';
import type { CheckoutClient } from '../../checkout/contract';
import { safeEqual } from '../../http/safe-equal';
import { listVar } from './env-vars';
import { type DoctorCheck, fail, pass } from './types';
import { listWorkflowFacts, sameUrl, type WebhookActionFacts, type WorkflowFacts } from './workflows';

/** The receiver's path on Bollard (`src/webhooks/receiver-routes.ts`). */
export const RECEIVER_PATH = '/webhooks/checkout';

/** `https://b.example` → `https://b.example/webhooks/checkout` (a URL already ending in the path is kept). */
export function receiverUrlFor(publicUrl: string): string {
  const u = new URL(publicUrl);
  const path = u.pathname.replace(/\/+$/, '');
  u.pathname = path.endsWith(RECEIVER_PATH) ? path : `${path}${RECEIVER_PATH}`;
  u.search = '';
  u.hash = '';
  return u.href;
}

interface Judged {
  wf: WorkflowFacts;
  problems: string[];
  fixes: string[];
  signing: string;
}

async function keyConfigured(key: string, keys: readonly string[]): Promise<boolean> {
  // Every key is compared (no early exit), in time independent of where the strings differ.
  const results = await Promise.all(keys.map((k) => safeEqual(key, k)));
  return results.includes(true);
}

async function judge(env: Env, wf: WorkflowFacts, action: WebhookActionFacts): Promise<Judged> {
  const problems: string[] = [];
  const fixes: string[] = [];
  if (!wf.active) {
    problems.push('inactive');
    fixes.push(`activate it: PATCH /workflows/${wf.id} {"active": true}`);
  }
  const missing = wf.events === null ? [] : EVENTS.map((e) => e.type).filter((t) => !wf.events?.has(t));
  if (missing.length > 0) {
    problems.push(`misses ${missing.length} of the guide's ${EVENTS.length} events (${missing.join(', ')})`);
    fixes.push(
      `add them to its event condition (PUT /workflows/${wf.id}/conditions/{id}), or register a new workflow with npx bollard webhooks register`,
    );
  }
  let signing: string;
  switch (action.signature.kind) {
    case 'none':
      signing = 'unsigned';
      problems.push('its webhook action has no signature key: Bollard refuses unsigned deliveries');
      fixes.push('give the action a signature key and add that key to WEBHOOK_SIGNING_KEYS');
      break;
    case 'hidden':
      signing = 'signed (the API does not show the key: the test event proves it)';
      break;
    case 'shown':
      if (await keyConfigured(action.signature.key, listVar(env.WEBHOOK_SIGNING_KEYS))) {
        signing = 'signed with a key in WEBHOOK_SIGNING_KEYS';
      } else {
        signing = 'signed with a key that is not in WEBHOOK_SIGNING_KEYS';
        problems.push('it signs with a key that is not in WEBHOOK_SIGNING_KEYS: every delivery gets 401');
        fixes.push(
          "add the workflow action's signature key to WEBHOOK_SIGNING_KEYS (comma-separated, beside the current ones)",
        );
      }
      break;
  }
  const authHeader = env.WEBHOOK_AUTH_HEADER_VALUE;
  if (authHeader && !action.headerNames.some((h) => h.toLowerCase() === 'authorization')) {
    problems.push('WEBHOOK_AUTH_HEADER_VALUE is set but the action sends no Authorization header');
    fixes.push('add that header to the webhook action, or unset WEBHOOK_AUTH_HEADER_VALUE');
  }
  return { wf, problems, fixes, signing };
}

export interface WorkflowVerdict {
  check: DoctorCheck;
  /** The workflow that delivers here (the best match), for the test event. */
  workflowId: string | null;
}

/**
 * A workflow upstream delivers the guide's ten events to this Bollard's receiver, is active, and signs
 * with a key Bollard holds (compared here when the API shows the key; never returned).
 */
export async function webhookWorkflowCheck(
  env: Env,
  client: CheckoutClient,
  publicUrl: string,
): Promise<WorkflowVerdict> {
  const check = 'webhook_workflow';
  const receiver = receiverUrlFor(publicUrl);
  const register = `npx bollard webhooks register --url ${publicUrl} (then put the printed key in WEBHOOK_SIGNING_KEYS)`;
  const listing = await listWorkflowFacts(client);
  if (!listing.ok) {
    return {
      check: fail(
        check,
        `could not read the workflows: ${listing.reason}`,
        'the workflows API needs a reachable CHECKOUT_API_BASE and, with OAuth, the flow:workflows scope (see scopes.agents)',
      ),
      workflowId: null,
    };
  }
  const judged: Judged[] = [];
  for (const wf of listing.workflows) {
    const action = wf.actions.find((a) => sameUrl(a.url, receiver));
    if (action) judged.push(await judge(env, wf, action));
  }
  const good = judged.filter((j) => j.problems.length === 0);
  const best = good[0] ?? [...judged].sort((a, b) => a.problems.length - b.problems.length)[0];
  if (!best) {
    return {
      check: fail(
        check,
        `no workflow delivers to ${receiver} (${listing.total} workflow${listing.total === 1 ? '' : 's'} on the account)`,
        register,
      ),
      workflowId: null,
    };
  }
  const notes: string[] = [];
  if (best.wf.narrowedBy.length > 0) notes.push(`also filtered by ${best.wf.narrowedBy.join(', ')}`);
  if (judged.length > 1)
    notes.push(`${judged.length} workflows deliver here (the inbox keeps one copy of each event)`);
  const tail = notes.length > 0 ? `; ${notes.join('; ')}` : '';
  if (best.problems.length > 0) {
    return {
      check: fail(
        check,
        `${best.wf.id} → ${receiver}: ${best.problems.join('; ')}${tail}`,
        best.fixes.join('; '),
      ),
      workflowId: best.wf.id,
    };
  }
  const events = best.wf.events === null ? 'every event' : `all ${EVENTS.length} guide events`;
  return {
    check: pass(check, `${best.wf.id} → ${receiver}: active, ${events}, ${best.signing}${tail}`),
    workflowId: best.wf.id,
  };
}
