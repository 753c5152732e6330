import { DurableObject } from 'cloudflare:workers';

export class SimAccount extends DurableObject<Env> {}

export default {
  async fetch(): Promise<Response> {
    return Response.json({ status: 'ok', service: 'checkout-sim' });
  },
} satisfies ExportedHandler<Env>;
