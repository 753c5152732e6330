import * as z from 'zod';

/**
 * What a browser may send, and what it gets back. Request schemas are strict: an unknown field is refused
 * with its name (`processing_channel_id_not_allowed`), never forwarded. Response schemas are loose where
 * they describe Checkout.com's answers, which Bollard passes through unmodified.
 *
 * Plain zod only: descriptions and examples are zod's own `.meta()`, which the OpenAPI generator reads.
 * The generator itself, the component names and the path parameters live in `route-docs.ts`, loaded only
 * when `GET /openapi.json` is asked for, so the request path never loads `@hono/zod-openapi`.
 */

const Amount = z
  .number()
  .int()
  .positive()
  .meta({ description: 'Minor units (1999 = £19.99), a positive integer.', example: 1999 });
const Currency = z
  .string()
  .regex(/^[A-Z]{3}$/)
  .meta({ description: 'ISO 4217 alpha-3, from the allow-list.', example: 'GBP' });
const Reference = z
  .string()
  .min(1)
  .max(50)
  .meta({ description: "The merchant's order reference.", example: 'ORD-1001' });
const OrderToken = z.string().min(16).max(4096).meta({
  description:
    'A JWS the merchant backend signed over amount, currency, reference, exp and jti. Required in `signed` mode.',
});
const RedirectUrl = z.url().max(1024).meta({
  description: 'Must be on one of the storefront origins.',
  example: 'https://shop.example/done',
});

const Address = z.strictObject({
  address_line1: z.string().max(200).optional(),
  address_line2: z.string().max(200).optional(),
  city: z.string().max(100).optional(),
  state: z.string().max(100).optional(),
  zip: z.string().max(20).optional(),
  country: z
    .string()
    .regex(/^[A-Z]{2}$/)
    .meta({ example: 'GB' }),
});

const Billing = z.strictObject({
  address: Address,
  phone: z
    .strictObject({
      country_code: z.string().regex(/^\+?\d{1,4}$/),
      number: z.string().regex(/^\d{4,20}$/),
    })
    .optional(),
});

const Customer = z.strictObject({
  name: z.string().min(1).max(100).optional(),
  email: z.email().max(254).optional(),
});

const Locale = z
  .string()
  .regex(/^[a-z]{2}(-[A-Z]{2})?$/)
  .meta({ example: 'en-GB' });

/** The order part common to sessions and links: a token (signed mode) or amounts (open mode). */
const orderFields = {
  order_token: OrderToken.optional(),
  amount: Amount.optional(),
  currency: Currency.optional(),
  reference: Reference.optional(),
};

export const PaymentSessionRequest = z.strictObject({
  ...orderFields,
  billing: Billing,
  customer: Customer.optional(),
  description: z.string().max(100).optional(),
  locale: Locale.optional(),
  success_url: RedirectUrl,
  failure_url: RedirectUrl,
});
export type PaymentSessionRequest = z.infer<typeof PaymentSessionRequest>;

export const PaymentLinkRequest = z.strictObject({
  ...orderFields,
  billing: Billing,
  customer: Customer.optional(),
  description: z.string().max(100).optional(),
  locale: Locale.optional(),
  return_url: RedirectUrl.optional(),
  expires_in: z
    .number()
    .int()
    .min(60)
    .max(86_400)
    .optional()
    .meta({ description: 'Seconds until the link expires.' }),
});
export type PaymentLinkRequest = z.infer<typeof PaymentLinkRequest>;

export const SubmitPaymentSessionRequest = z.strictObject({
  session_data: z.string().min(1).max(16_384).meta({
    description: "Flow's `submitData.session_data` (or a card token `tok_…` from the tokenize helper).",
  }),
});

export const PaymentSessionId = z
  .string()
  .regex(/^ps_[A-Za-z0-9]{20,40}$/)
  .meta({ example: 'ps_2Un6I6lRpIAiIEwQIyxWVnV9CqQ' });
export const PaymentLinkId = z
  .string()
  .regex(/^pl_[A-Za-z0-9_-]{6,40}$/)
  .meta({ example: 'pl_ELqQJXdXzabU' });
