import * as z from 'zod/mini';

/**
 * What a browser may send, and what it gets back. Request schemas are strict: an unknown field is refused
 * with its name (`processing_channel_id_not_allowed`), never forwarded. Response schemas are loose where
 * they describe Checkout.com's answers, which Bollard passes through unmodified.
 *
 * `zod/mini`, not classic zod: these schemas are on the request path, and classic zod's methods (and the
 * JSON Schema code every classic schema carries) add about 9 KiB gzip to the Worker's main module, which
 * must stay under 100 KiB (docs/benchmarks.md, "Cold start and bundle size"). Descriptions and examples are
 * zod's own `meta` check (the global registry), which the OpenAPI generator reads: `route-docs.ts`, loaded
 * only by the test that writes the document, turns these into classic schemas (`classic-schema.ts`), so the
 * request path never loads `@hono/zod-openapi` or classic zod.
 */

const Amount = z
  .number()
  .check(
    z.int(),
    z.positive(),
    z.meta({ description: 'Minor units (1999 = £19.99), a positive integer.', example: 1999 }),
  );
const Currency = z
  .string()
  .check(
    z.regex(/^[A-Z]{3}$/),
    z.meta({ description: 'ISO 4217 alpha-3, from the allow-list.', example: 'GBP' }),
  );
const Reference = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(50),
    z.meta({ description: "The merchant's order reference.", example: 'ORD-1001' }),
  );
const OrderToken = z.string().check(
  z.minLength(16),
  z.maxLength(4096),
  z.meta({
    description:
      'A JWS the merchant backend signed over amount, currency, reference, exp and jti. Required in `signed` mode.',
  }),
);
const RedirectUrl = z.url().check(
  z.maxLength(1024),
  z.meta({
    description: 'Must be on one of the storefront origins.',
    example: 'https://shop.example/done',
  }),
);

const text = (max: number) => z.optional(z.string().check(z.maxLength(max)));

const Address = z.strictObject({
  address_line1: text(200),
  address_line2: text(200),
  city: text(100),
  state: text(100),
  zip: text(20),
  country: z.string().check(z.regex(/^[A-Z]{2}$/), z.meta({ example: 'GB' })),
});

const Billing = z.strictObject({
  address: Address,
  phone: z.optional(
    z.strictObject({
      country_code: z.string().check(z.regex(/^\+?\d{1,4}$/)),
      number: z.string().check(z.regex(/^\d{4,20}$/)),
    }),
  ),
});

const Customer = z.strictObject({
  name: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
  email: z.optional(z.email().check(z.maxLength(254))),
});

const Locale = z.string().check(z.regex(/^[a-z]{2}(-[A-Z]{2})?$/), z.meta({ example: 'en-GB' }));

/** The order part common to sessions and links: a token (signed mode) or amounts (open mode). */
const orderFields = {
  order_token: z.optional(OrderToken),
  amount: z.optional(Amount),
  currency: z.optional(Currency),
  reference: z.optional(Reference),
};

export const PaymentSessionRequest = z.strictObject({
  ...orderFields,
  billing: Billing,
  customer: z.optional(Customer),
  description: text(100),
  locale: z.optional(Locale),
  success_url: RedirectUrl,
  failure_url: RedirectUrl,
});
export type PaymentSessionRequest = z.infer<typeof PaymentSessionRequest>;

export const PaymentLinkRequest = z.strictObject({
  ...orderFields,
  billing: Billing,
  customer: z.optional(Customer),
  description: text(100),
  locale: z.optional(Locale),
  return_url: z.optional(RedirectUrl),
  expires_in: z.optional(
    z
      .number()
      .check(
        z.int(),
        z.minimum(60),
        z.maximum(86_400),
        z.meta({ description: 'Seconds until the link expires.' }),
      ),
  ),
});
export type PaymentLinkRequest = z.infer<typeof PaymentLinkRequest>;

export const SubmitPaymentSessionRequest = z.strictObject({
  session_data: z.string().check(
    z.minLength(1),
    z.maxLength(16_384),
    z.meta({
      description: "Flow's `submitData.session_data` (or a card token `tok_…` from the tokenize helper).",
    }),
  ),
});

export const PaymentSessionId = z
  .string()
  .check(z.regex(/^ps_[A-Za-z0-9]{20,40}$/), z.meta({ example: 'ps_2Un6I6lRpIAiIEwQIyxWVnV9CqQ' }));
export const PaymentLinkId = z
  .string()
  .check(z.regex(/^pl_[A-Za-z0-9_-]{6,40}$/), z.meta({ example: 'pl_ELqQJXdXzabU' }));
