import { countedFetch } from './upstream-stats';

/**
 * The `fetch` used for every call to Checkout.com. In the workerd test pool the simulator is an
 * auxiliary Worker reached through the `CHECKOUT_SIM` service binding (no sockets); everywhere else it is
 * the global `fetch` to `CHECKOUT_API_BASE`. Every answer is counted (`upstreamStats`). It sits here, below
 * both `src/checkout/` (the client) and `src/oauth/` (the token endpoint), so neither imports the other for it.
 */
export function upstreamFetch(env: Env): typeof fetch {
  const sim = env.CHECKOUT_SIM;
  // Counted per isolate for GET /admin/status (upstream-stats.ts).
  if (sim) return countedFetch((input, init) => sim.fetch(input instanceof URL ? input.href : input, init));
  return countedFetch((input, init) => fetch(input, init));
}
