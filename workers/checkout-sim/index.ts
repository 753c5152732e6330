import { DROP_HEADER } from './lib/faults';

export { SimAccount } from './account-do';

/**
 * The simulator Worker: forwards every request to the one account object, which hosts the whole API.
 * A response the fault injector marked as dropped becomes a body that errors before its first byte, so
 * the client sees the connection cut rather than an HTTP answer.
 */
export default {
  async fetch(request, env): Promise<Response> {
    const res = await env.SIM_ACCOUNT.getByName('default').fetch(request);
    if (res.headers.has(DROP_HEADER)) {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.error(new Error('connection dropped by the simulator'));
        },
      });
      return new Response(body, { status: 200 });
    }
    return res;
  },
} satisfies ExportedHandler<Env>;
