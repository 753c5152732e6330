import { cutConnection, DROP_HEADER } from './lib/drop';

export { SimAccount } from './account-do';

/**
 * The simulator Worker: forwards every request to the one account object, which hosts the whole API.
 * A response the fault injector marked as dropped becomes a cut connection (`lib/drop.ts`).
 */
export default {
  async fetch(request, env, ctx): Promise<Response> {
    const res = await env.SIM_ACCOUNT.getByName('default').fetch(request);
    if (!res.headers.has(DROP_HEADER)) return res;
    await res.body?.cancel();
    return cutConnection(request, res, ctx);
  },
} satisfies ExportedHandler<Env>;
