import type { ReceiptInput } from '../../src/agents/proof/receipt-claims';
import { issueReceipt, sha256Hex } from '../../src/agents/proof/receipts';
import type { Logger } from '../../src/http';

/**
 * The bench Worker of bench/receipts.bench.ts: `GET /?mode=receipt|hash|none&n=N` signs N receipts (or only
 * hashes the two bodies N times) the way the gateway does for one answer, so the difference in wall time
 * between N and 0 over loopback is workerd's CPU per receipt (a Worker's clock does not advance while it
 * computes, so it cannot time itself).
 */
const silent: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silent,
};

const request = JSON.stringify({
  amount: 1250,
  currency: 'EUR',
  reference: 'bench-receipt',
  source: { type: 'token', token: 'tok_ubfj2q76miwundwlk72vxt2i7q' },
  metadata: { order: 'ord_1234567890' },
});
// About the size of a payment's answer (1 KiB).
const response = JSON.stringify({
  id: 'pay_mbabizu24mvu3mela5njyhpit4',
  action_id: 'act_mbabizu24mvu3mela5njyhpit4',
  amount: 1250,
  currency: 'EUR',
  approved: true,
  status: 'Captured',
  auth_code: '770687',
  response_code: '10000',
  response_summary: 'Approved',
  reference: 'bench-receipt',
  processed_on: '2026-12-07T10:00:00.000Z',
  source: {
    type: 'card',
    id: 'src_nwd3m4in3hkuddfpjsaevunhdy',
    last4: '4242',
    bin: '424242',
    scheme: 'Visa',
  },
  _links: {
    self: { href: 'https://api.sandbox.checkout.com/payments/pay_mbabizu24mvu3mela5njyhpit4' },
    actions: { href: 'https://api.sandbox.checkout.com/payments/pay_mbabizu24mvu3mela5njyhpit4/actions' },
  },
  padding: 'x'.repeat(400),
});

const input: Omit<ReceiptInput, 'request_sha256' | 'response_sha256'> = {
  proof: {
    agent_id: 'agt_benchbenchbenchbenchbenchbe',
    decision: 'allowed',
    reason: 'allowed',
    upstream_status: 201,
    audit: { chain: 'agt_benchbenchbenchbenchbenchbe', seq: 42, hash: 'a'.repeat(64), kind: 'start' },
  },
  request_id: 'req_benchbenchbenchbenchbenchbe',
  channel: 'rest',
  method: 'requestPayment',
  http_method: 'POST',
  path: '/payments',
  path_template: '/payments',
  idempotency_key: '5f0c0b3e-1f4e-4c5e-9a7e-2f3a4b5c6d7e',
  upstream_request_id: '0HL80RJLS76I7',
  status: 201,
};

export default {
  async fetch(req: Request, env: Env): Promise<Response> {
    const url = new URL(req.url);
    const n = Number(url.searchParams.get('n') ?? '0');
    const mode = url.searchParams.get('mode') ?? 'none';
    let size = 0;
    for (let i = 0; i < n; i++) {
      if (mode === 'receipt')
        size = (await issueReceipt(env, input, request, response, silent))?.length ?? -1;
      else if (mode === 'hash') size = sha256Hex(request).length + sha256Hex(response).length;
    }
    return Response.json({ mode, n, size });
  },
} satisfies ExportedHandler<Env>;
