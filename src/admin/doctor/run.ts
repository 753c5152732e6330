import type { CheckoutClient } from '../../checkout/contract';
import { checkoutClientFor } from '../../checkout/from-env';
import { parseBaseUrl } from '../../checkout/hosts';
import { approvalsCheck } from './approvals';
import { scopeChecks } from './auth-scopes';
import { bindingsCheck } from './bindings';
import { authMode } from './env-vars';
import { originsCheck } from './origins';
import { rateLimitsCheck } from './rate-limits';
import { archiveCheck, type ReceiptKeyReport, receiptKeyCheck } from './receipts-archive';
import { secretsCheck } from './secrets';
import { type DoctorCheck, fail } from './types';
import { receiverUrlFor, webhookWorkflowCheck } from './webhook-workflow';

/** What `GET /admin/doctor` answers: names, states and fixes; never a secret, key or token. */
export interface DoctorReport {
  ok: boolean;
  public_url: string;
  auth_mode: string;
  upstream: { base_url: string; environment: 'sandbox' | 'production' | null };
  webhook: { receiver_url: string; workflow_id: string | null };
  /** The receipt key's kid and public JWK: the CLI checks the JWKS Bollard serves against it. */
  receipts: ReceiptKeyReport;
  checks: DoctorCheck[];
}

function environmentOf(base: string): 'sandbox' | 'production' | null {
  try {
    return parseBaseUrl(base).environment;
  } catch {
    return null;
  }
}

/** The client the operators' tools use (every catalog row), or why there is none. */
export function adminClient(env: Env): CheckoutClient | string {
  try {
    return checkoutClientFor(env, 'admin');
  } catch (err) {
    return typeof err === 'object' && err !== null && 'code' in err
      ? String(err.code)
      : 'configuration_error';
  }
}

/**
 * Runs every server-side check (the ones that need Bollard's secrets) for the deployment reached at
 * `publicUrl`. Each check is bounded and reports its own failure; nothing here throws for a broken
 * configuration, since reporting one is the point.
 */
export async function runDoctor(env: Env, publicUrl: string): Promise<DoctorReport> {
  const client = adminClient(env);
  const [scopes, workflow, receipts, archive] = await Promise.all([
    scopeChecks(env),
    typeof client === 'string'
      ? Promise.resolve({
          check: fail(
            'webhook_workflow',
            `cannot call the API to read the workflows (${client})`,
            'fix the secrets check first',
          ),
          workflowId: null,
        })
      : webhookWorkflowCheck(env, client, publicUrl),
    receiptKeyCheck(env, publicUrl),
    archiveCheck(env),
  ]);
  const checks = [
    bindingsCheck(env),
    secretsCheck(env),
    receipts.check,
    ...scopes,
    workflow.check,
    originsCheck(env),
    rateLimitsCheck(env),
    archive,
    approvalsCheck(env),
  ];
  return {
    ok: checks.every((c) => c.ok),
    public_url: publicUrl,
    auth_mode: authMode(env) ?? 'invalid',
    upstream: { base_url: env.CHECKOUT_API_BASE, environment: environmentOf(env.CHECKOUT_API_BASE) },
    webhook: { receiver_url: receiverUrlFor(publicUrl), workflow_id: workflow.workflowId },
    receipts: receipts.report,
    checks,
  };
}
