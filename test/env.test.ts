import { env } from 'cloudflare:workers';
import { expect, it } from 'vitest';
import { DEV_CREDENTIALS } from '../src/dev/credentials';

it('tests run with the development secrets of .dev.vars', () => {
  expect(env.CHECKOUT_SECRET_KEY).toBe(DEV_CREDENTIALS.secretKey);
  expect(env.ADMIN_TOKEN).toBe(DEV_CREDENTIALS.adminToken);
});
