import { exports } from 'cloudflare:workers';
import { expect, it } from 'vitest';

it('the simulator answers', async () => {
  const res = await exports.default.fetch('http://sim/healthz');
  expect(res.status).toBe(200);
});
