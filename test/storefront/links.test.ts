import { describe, expect, it } from 'vitest';
import { caller, errorOf, linkBody, ORIGIN, openMode } from './helpers';
import { simGet } from './sim';

describe('payment links', () => {
  it('creates a link with the merchant processing channel and reads back only its status view', async () => {
    const call = caller(openMode);
    const res = await call('/v1/payment-links', {
      json: linkBody({
        amount: 2200,
        currency: 'GBP',
        reference: 'ORD-L1',
        customer: { email: 'a@b.example', name: 'A B' },
      }),
    });
    expect(res.status).toBe(201);
    const link = (await res.json()) as { id: string; _links: { redirect: { href: string } } };
    expect(link._links.redirect.href).toContain(`/link/${link.id}`);

    // Server-side defaults reached Checkout.com; the browser could not set them.
    const upstream = await simGet(`/payment-links/${link.id}`);
    expect(upstream.body).toMatchObject({
      amount: 2200,
      processing_channel_id: 'pc_devstorefrontchannelaaaaaa',
      return_url: `${ORIGIN}/?outcome=link`,
    });

    const read = await call(`/v1/payment-links/${link.id}`);
    expect(read.status).toBe(200);
    const view = (await read.json()) as Record<string, unknown>;
    expect(view).toMatchObject({
      id: link.id,
      status: 'Active',
      amount: 2200,
      currency: 'GBP',
      reference: 'ORD-L1',
    });
    // The customer's details and billing are not for any browser that knows the id.
    expect(view).not.toHaveProperty('customer');
    expect(view).not.toHaveProperty('billing');
  });

  it('answers 404 for an unknown link', async () => {
    const res = await caller(openMode)('/v1/payment-links/pl_doesnotexist1');
    expect(res.status).toBe(404);
    expect((await errorOf(res)).error_type).toBe('not_found');
  });

  it('refuses a browser-set expiry outside 60 s .. 1 day', async () => {
    const res = await caller(openMode)('/v1/payment-links', {
      json: linkBody({ amount: 2200, currency: 'GBP', expires_in: 10 }),
    });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).error_codes).toEqual(['expires_in_invalid']);
  });
});
