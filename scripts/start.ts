import { EVENTS } from '../src/catalog';
import { DEV_CREDENTIALS } from '../src/dev/credentials';
import { startStack } from './stack';

/**
 * `npm start`: the simulator on 127.0.0.1:8788 and Bollard on 127.0.0.1:8787 (demo pages on), a webhook
 * workflow registered on the simulator that delivers the guide's ten events to Bollard's receiver, and
 * a summary of URLs, the auth mode, dev credentials and curl examples. Ctrl-C stops both. `--logs` shows
 * both processes' output; `--oauth` runs Bollard with `CHECKOUT_AUTH=oauth` and the dev OAuth client
 * (passed as vars, so .dev.vars stays as it is); `SIM_PORT` / `BOLLARD_PORT` move them.
 */
const simPort = Number(process.env.SIM_PORT ?? 8788);
const bollardPort = Number(process.env.BOLLARD_PORT ?? 8787);
const showLogs = process.argv.includes('--logs');
const oauth = process.argv.includes('--oauth');

/**
 * The auth mode Bollard itself reports (`GET /admin/status`), so the summary shows what took effect
 * rather than what was asked for.
 */
async function effectiveAuthMode(bollardUrl: string): Promise<string> {
  try {
    const res = await fetch(`${bollardUrl}/admin/status`, {
      headers: { Authorization: `Bearer ${DEV_CREDENTIALS.adminToken}` },
    });
    const body = (await res.json()) as { auth?: { mode?: unknown } };
    return typeof body.auth?.mode === 'string' ? body.auth.mode : 'unknown';
  } catch {
    return 'unknown';
  }
}

function authLine(mode: string): string {
  return mode === 'oauth'
    ? 'oauth (CHECKOUT_AUTH=oauth: each surface gets its own least-privilege token from /connect/token)'
    : `${mode}${mode === 'secret_key' ? ' (CHECKOUT_AUTH=secret_key; `npm start -- --oauth` for OAuth)' : ''}`;
}

/** Registers the workflow through the simulator's real `POST /workflows`, as one would on the real API. */
async function registerWorkflow(simUrl: string, bollardUrl: string): Promise<string> {
  const byGroup = (subject: 'payment' | 'dispute') =>
    EVENTS.filter((e) => e.subject === subject).map((e) => e.type);
  const res = await fetch(`${simUrl}/workflows`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${DEV_CREDENTIALS.secretKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      name: 'Bollard webhook receiver (npm start)',
      active: true,
      conditions: [{ type: 'event', events: { gateway: byGroup('payment'), dispute: byGroup('dispute') } }],
      actions: [
        {
          type: 'webhook',
          url: `${bollardUrl}/webhooks/checkout`,
          signature: { method: 'HMACSHA256', key: DEV_CREDENTIALS.webhookSigningKey },
        },
      ],
    }),
  });
  const body = (await res.json().catch(() => ({}))) as { id?: string; error_codes?: string[] };
  if (res.status !== 201 || !body.id) {
    throw new Error(
      `registering the webhook workflow failed: ${res.status} ${(body.error_codes ?? []).join(',')}`,
    );
  }
  return body.id;
}

function summary(simUrl: string, bollardUrl: string, workflowId: string, authMode: string): string {
  const c = DEV_CREDENTIALS;
  return `
Bollard is up.

  Bollard                 ${bollardUrl}   (demo shop at /, open order mode)
  Checkout.com simulator  ${simUrl}
  Webhook workflow        ${workflowId} → ${bollardUrl}/webhooks/checkout (the 10 guide events)
  Auth mode               ${authLine(authMode)}

Dev credentials (they only work against the local simulator):
  secret key (all scopes)       ${c.secretKey}
  storefront secret key         ${c.storefrontSecretKey}
  public key (/tokens only)     ${c.publicKey}
  OAuth client id / secret      ${c.oauthClientId} / ${c.oauthClientSecret}
  simulator admin key (/_sim)   ${c.simAdminKey}
  Bollard admin token (/admin)  ${c.adminToken}
  webhook signing key           ${c.webhookSigningKey}

Try:
  # check the whole setup (bindings, secrets, scopes, the webhook workflow, a signed test event)
  npx bollard doctor${bollardUrl === 'http://127.0.0.1:8787' ? '' : ` --url ${bollardUrl}`}
  # the auth mode and each surface's token state, as Bollard sees them
  curl -s ${bollardUrl}/admin/status -H 'Authorization: Bearer ${c.adminToken}'
  # a payment straight on the simulator (approved by the 4242 test card)
  curl -s ${simUrl}/payments -H 'Authorization: Bearer ${c.secretKey}' -H 'Content-Type: application/json' \\
    -d '{"amount":1000,"currency":"GBP","source":{"type":"card","number":"4242424242424242","expiry_month":12,"expiry_year":2030,"cvv":"100"}}'
  # make the simulator emit an event; it is delivered, signed, to Bollard's receiver
  npx bollard trigger payment_captured${simUrl === 'http://127.0.0.1:8788' ? '' : ` --sim ${simUrl}`}
  # raise a dispute on a captured payment
  curl -s ${simUrl}/_sim/disputes -H 'Authorization: Bearer ${c.simAdminKey}' -H 'Content-Type: application/json' \\
    -d '{"payment_id":"pay_...","category":"fraudulent"}'
  # the public keys of agent-call receipts; archive every audit chain to the (local) R2 bucket now
  curl -s ${bollardUrl}/.well-known/jwks.json
  curl -s -X POST ${bollardUrl}/admin/audit/archive -H 'Authorization: Bearer ${c.adminToken}'
  # the simulator's delivery log and counters
  curl -s ${simUrl}/_sim/webhooks -H 'Authorization: Bearer ${c.simAdminKey}'
  curl -s ${simUrl}/_sim/stats -H 'Authorization: Bearer ${c.simAdminKey}'

Ctrl-C stops both.`;
}

const stack = await startStack({
  simPort,
  bollardPort,
  // The demo shop at /, in open order mode (amounts from the page, within limits), on whatever port was chosen.
  vars: {
    DEMO_ENABLED: 'true',
    STOREFRONT_ORDER_MODE: 'open',
    STOREFRONT_ORIGINS: `http://127.0.0.1:${bollardPort},http://localhost:${bollardPort}`,
    // The dev OAuth client works against the simulator; the secret is the dev one printed below anyway.
    ...(oauth
      ? {
          CHECKOUT_AUTH: 'oauth',
          CHECKOUT_OAUTH_CLIENT_ID: DEV_CREDENTIALS.oauthClientId,
          CHECKOUT_OAUTH_CLIENT_SECRET: DEV_CREDENTIALS.oauthClientSecret,
        }
      : {}),
  },
  inheritOutput: showLogs,
});
let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping the simulator and Bollard…');
  await stack.stop();
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
try {
  const workflowId = await registerWorkflow(stack.simUrl, stack.bollardUrl);
  const authMode = await effectiveAuthMode(stack.bollardUrl);
  console.log(summary(stack.simUrl, stack.bollardUrl, workflowId, authMode));
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  await stop(1);
}
// Keep running until Ctrl-C: the wrangler processes hold the event loop open.
