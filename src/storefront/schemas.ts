// The side-effect import extends zod with `.openapi()` before any schema below is built.
import '@hono/zod-openapi';
import * as z from 'zod';

/**
 * What a browser may send, and what it gets back. Request schemas are strict: an unknown field is refused
 * with its name (`processing_channel_id_not_allowed`), never forwarded. Response schemas are loose where
 * they describe Checkout.com's answers, which Bollard passes through unmodified.
 */

const Amount = z
  .number()
  .int()
  .positive()
  .openapi({ description: 'Minor units (1999 = £19.99), a positive integer.', example: 1999 });
const Currency = z
  .string()
  .regex(/^[A-Z]{3}$/)
  .openapi({ description: 'ISO 4217 alpha-3, from the allow-list.', example: 'GBP' });
const Reference = z
  .string()
  .min(1)
  .max(50)
  .openapi({ description: "The merchant's order reference.", example: 'ORD-1001' });
const OrderToken = z.string().min(16).max(4096).openapi({
  description:
    'A JWS the merchant backend signed over amount, currency, reference, exp and jti. Required in `signed` mode.',
});
const RedirectUrl = z.url().max(1024).openapi({
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
    .openapi({ example: 'GB' }),
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
  .openapi({ example: 'en-GB' });

/** The order part common to sessions and links: a token (signed mode) or amounts (open mode). */
const orderFields = {
  order_token: OrderToken.optional(),
  amount: Amount.optional(),
  currency: Currency.optional(),
  reference: Reference.optional(),
};

export const PaymentSessionRequest = z
  .strictObject({
    ...orderFields,
    billing: Billing,
    customer: Customer.optional(),
    description: z.string().max(100).optional(),
    locale: Locale.optional(),
    success_url: RedirectUrl,
    failure_url: RedirectUrl,
  })
  .openapi('PaymentSessionRequest');
export type PaymentSessionRequest = z.infer<typeof PaymentSessionRequest>;

export const PaymentLinkRequest = z
  .strictObject({
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
      .openapi({ description: 'Seconds until the link expires.' }),
  })
  .openapi('PaymentLinkRequest');
export type PaymentLinkRequest = z.infer<typeof PaymentLinkRequest>;

export const SubmitPaymentSessionRequest = z
  .strictObject({
    session_data: z.string().min(1).max(16_384).openapi({
      description: "Flow's `submitData.session_data` (or a card token `tok_…` from the tokenize helper).",
    }),
  })
  .openapi('SubmitPaymentSessionRequest');

export const PaymentSessionId = z
  .string()
  .regex(/^ps_[A-Za-z0-9]{20,40}$/)
  .openapi({ param: { name: 'id', in: 'path' }, example: 'ps_2Un6I6lRpIAiIEwQIyxWVnV9CqQ' });
export const PaymentLinkId = z
  .string()
  .regex(/^pl_[A-Za-z0-9_-]{6,40}$/)
  .openapi({ param: { name: 'id', in: 'path' }, example: 'pl_ELqQJXdXzabU' });

const Link = z.looseObject({ href: z.string() });

export const PaymentSessionResponse = z
  .looseObject({
    id: z.string(),
    payment_session_secret: z.string(),
    payment_session_token: z.string(),
    _links: z.looseObject({ self: Link.optional() }),
  })
  .openapi('PaymentSessionResponse', {
    description: "Checkout.com's response, unmodified: pass it to Flow as `paymentSession`.",
  });

export const SubmitPaymentSessionResponse = z
  .looseObject({
    id: z.string().optional(),
    status: z.string().optional(),
    type: z.string().optional(),
  })
  .openapi('SubmitPaymentSessionResponse', { description: "Checkout.com's response, unmodified." });

export const PaymentLinkResponse = z
  .looseObject({
    id: z.string(),
    expires_on: z.string().optional(),
    reference: z.string().optional(),
    _links: z.looseObject({ redirect: Link, self: Link.optional() }),
  })
  .openapi('PaymentLinkResponse', { description: "Checkout.com's response, unmodified." });

export const PaymentLinkStatus = z
  .object({
    id: z.string(),
    status: z.string().openapi({ example: 'Active' }),
    amount: z.number().int().optional(),
    currency: z.string().optional(),
    reference: z.string().optional(),
    expires_on: z.string().optional(),
    payment_id: z.string().optional(),
  })
  .openapi('PaymentLinkStatus', {
    description: 'What a browser may read about a link: its status and order, not the customer details.',
  });

export const PaymentSessionStatus = z
  .object({
    session_id: z.string().openapi({ example: 'ps_2Un6I6lRpIAiIEwQIyxWVnV9CqQ' }),
    status: z.enum(['pending', 'approved', 'declined', 'unknown']).openapi({
      description:
        '`approved`/`declined`: settled. `pending`: the payment waits for the customer (3DS). `unknown`: no ' +
        'payment through this session is known yet — keep polling for a while, never submit again automatically.',
    }),
    payment_id: z.string().optional().openapi({ example: 'pay_mbabizu24mvu3mela5njyhpit4' }),
    source: z.enum(['webhook', 'upstream']).openapi({
      description: "Where the answer came from: the webhook events Bollard received, or Checkout.com's API.",
    }),
  })
  .openapi('PaymentSessionStatus', {
    description:
      'What is known about the payment made through a session Bollard created: the approved payment if there ' +
      'is one, else the most recent. A page that retried the session with another card compares `payment_id` ' +
      'with the one it already has.',
  });

export const StorefrontConfig = z
  .object({
    public_key: z.string().openapi({ example: 'pk_sbox_…' }),
    environment: z.enum(['sandbox', 'production']),
    tokenization_url: z.string().openapi({ example: 'https://api.sandbox.checkout.com/tokens' }),
    tokenize_js: z.string().openapi({ example: '/v1/tokenize.js' }),
    order_mode: z.enum(['signed', 'open']),
    currencies: z.array(z.object({ code: z.string(), min: z.number().int(), max: z.number().int() })),
  })
  .openapi('StorefrontConfig');

export const ErrorBody = z
  .object({
    request_id: z.string(),
    error_type: z.string(),
    error_codes: z.array(z.string()),
    message: z.string().optional(),
  })
  .openapi('Error');
