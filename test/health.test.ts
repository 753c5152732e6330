import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { simFetcher } from './oauth/sim-control';

describe('GET /healthz', () => {
  it('answers 200 with status ok and a request id', async () => {
    const res = await exports.default.fetch('http://bollard.test/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', service: 'bollard' });
    expect(res.headers.get('cko-request-id')).toMatch(/^req_[a-z2-7]{26}$/);
  });

  it('answers unknown routes in the one error shape', async () => {
    const res = await exports.default.fetch('http://bollard.test/nope');
    expect(res.status).toBe(404);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ error_type: 'not_found', error_codes: ['route_not_found'] });
    expect(body.request_id).toBe(res.headers.get('cko-request-id'));
  });

  it('reaches the simulator through the CHECKOUT_SIM service binding', async () => {
    const res = await simFetcher().fetch('http://sim/healthz');
    expect(res.status).toBe(200);
  });
});
