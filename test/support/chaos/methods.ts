import type { SimControl } from './upstream-setup';

/** One money-moving call, ready to send: what it acts on was made upstream beforehand. */
export interface PreparedCall {
  /** Path parameters for the catalog template. */
  params: Record<string, string>;
  body: Record<string, unknown> | undefined;
  /** A payment reference that counts this call's effect by reference, where the call makes a payment. */
  reference?: string;
}

export interface MoneyMethod {
  /** Catalog (or client extra) entry name: the key of the simulator's `effects` counter. */
  name: string;
  /** The simulator's fault route key. */
  routeKey: string;
  /** The catalog path template (agent REST paths are the same). */
  path: string;
  /** Makes what the call acts on, directly on the simulator, with no faults set. */
  prepare(sim: SimControl, tag: string): Promise<PreparedCall>;
  /** Whether a 2xx body is the resource (`id` or `action_id`), or the call answers 204. */
  answersWithoutBody: boolean;
}

export function fillPath(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
}

/** The agent-reachable money-moving methods of the catalog, plus voids (documented idempotent). */
export const AGENT_MONEY_METHODS: readonly MoneyMethod[] = [
  {
    name: 'requestPayment',
    routeKey: 'POST /payments',
    path: '/payments',
    answersWithoutBody: false,
    async prepare(sim, tag) {
      const reference = `chaos-${tag}`;
      return {
        params: {},
        reference,
        body: {
          amount: 1234,
          currency: 'GBP',
          reference,
          source: { type: 'token', token: await sim.cardToken() },
        },
      };
    },
  },
  {
    name: 'capturePayment',
    routeKey: 'POST /payments/{id}/captures',
    path: '/payments/{id}/captures',
    answersWithoutBody: false,
    async prepare(sim, tag) {
      return { params: { id: await sim.payment({ capture: false }) }, body: { reference: `cap-${tag}` } };
    },
  },
  {
    name: 'refundPayment',
    routeKey: 'POST /payments/{id}/refunds',
    path: '/payments/{id}/refunds',
    answersWithoutBody: false,
    async prepare(sim, tag) {
      return {
        params: { id: await sim.payment({ capture: true }) },
        body: { amount: 1000, reference: `ref-${tag}` },
      };
    },
  },
  {
    name: 'voidPayment',
    routeKey: 'POST /payments/{id}/voids',
    path: '/payments/{id}/voids',
    answersWithoutBody: false,
    async prepare(sim, tag) {
      return { params: { id: await sim.payment({ capture: false }) }, body: { reference: `void-${tag}` } };
    },
  },
  {
    name: 'incrementAuthorization',
    routeKey: 'POST /payments/{id}/authorizations',
    path: '/payments/{id}/authorizations',
    answersWithoutBody: false,
    async prepare(sim, tag) {
      return {
        params: { id: await sim.payment({ capture: false }) },
        body: { amount: 500, reference: `inc-${tag}` },
      };
    },
  },
  {
    name: 'createTransfer',
    routeKey: 'POST /transfers',
    path: '/transfers',
    answersWithoutBody: false,
    async prepare(_sim, tag) {
      return {
        params: {},
        body: {
          reference: `tr-${tag}`.slice(0, 50),
          transfer_type: 'commission',
          source: { id: 'ent_simdefaultentityaaaaaaaaaa', amount: 100, currency: 'GBP' },
          destination: { id: 'ent_otherentityaaaaaaaaaaaaaaa' },
        },
      };
    },
  },
  {
    name: 'acceptDispute',
    routeKey: 'POST /disputes/{id}/accept',
    path: '/disputes/{id}/accept',
    answersWithoutBody: true,
    async prepare(sim) {
      return { params: { id: await sim.dispute() }, body: undefined };
    },
  },
];

/** The one money-moving call of the storefront: Flow's server-side submit. */
export const SUBMIT_METHOD: MoneyMethod = {
  name: 'submitPaymentSession',
  routeKey: 'POST /payment-sessions/{id}/submit',
  path: '/payment-sessions/{id}/submit',
  answersWithoutBody: false,
  // The session is created through Bollard's storefront by the surface driver; only the token is made here.
  async prepare(sim) {
    return { params: {}, body: { session_data: await sim.cardToken() } };
  },
};

/** A fault to inject on a route, at a rate: every attempt (1) or every other one (0.5). */
export type FaultKind = '500' | '502_html' | '429' | 'drop_before' | 'drop_after' | 'stall';

/**
 * Faults an answer carries (an error status, a throttle, a stall the server still finishes): a Worker can
 * serve them, so the workerd tier runs them against the simulator beside Bollard
 * (test/chaos/upstream-faults.test.ts).
 */
export const ANSWER_FAULTS: readonly FaultKind[] = ['500', '502_html', '429', 'stall'];

/**
 * Cut connections, before and after the server processed the request: they need a real socket (the
 * simulator's loopback proxy under `npm start`), so they run in the e2e tier (test/e2e/chaos.test.ts).
 */
export const SOCKET_FAULTS: readonly FaultKind[] = ['drop_before', 'drop_after'];

export function faultRule(kind: FaultKind, rate: number, stallMs: number): Record<string, unknown> {
  switch (kind) {
    case '500':
      return { error_rate: rate, status: 500 };
    case '502_html':
      return { error_rate: rate, status: 502 };
    case '429':
      return { error_rate: rate, status: 429 };
    case 'drop_before':
      return { drop: 'before', drop_rate: rate };
    case 'drop_after':
      return { drop: 'after', drop_rate: rate };
    case 'stall':
      return { latency_ms: stallMs };
  }
}
