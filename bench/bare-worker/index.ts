/**
 * The benchmark's baseline: a Worker that reads the body and answers 200, nothing else. Bollard's
 * webhook receiver is measured against it in the same run (bench/webhooks.bench.ts).
 */
export default {
  async fetch(request: Request): Promise<Response> {
    if (request.method === 'POST') await request.arrayBuffer();
    return new Response('{"received":true}', { headers: { 'content-type': 'application/json' } });
  },
};
