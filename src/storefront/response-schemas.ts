import * as z from 'zod';

/**
 * What the storefront answers, for the OpenAPI document only: Bollard passes Checkout.com's answers
 * through unmodified and never validates them, so nothing on the request path loads this module
 * (route-docs.ts does, when `GET /openapi.json` is asked for). Loose where they describe Checkout.com.
 */

const Link = z.looseObject({ href: z.string() });

export const PaymentSessionResponse = z
  .looseObject({
    id: z.string(),
    payment_session_secret: z.string(),
    payment_session_token: z.string(),
    _links: z.looseObject({ self: Link.optional() }),
  })
  .meta({
    description: "Checkout.com's response, unmodified: pass it to Flow as `paymentSession`.",
  });

export const SubmitPaymentSessionResponse = z
  .looseObject({
    id: z.string().optional(),
    status: z.string().optional(),
    type: z.string().optional(),
  })
  .meta({ description: "Checkout.com's response, unmodified." });

export const PaymentLinkResponse = z
  .looseObject({
    id: z.string(),
    expires_on: z.string().optional(),
    reference: z.string().optional(),
    _links: z.looseObject({ redirect: Link, self: Link.optional() }),
  })
  .meta({ description: "Checkout.com's response, unmodified." });

export const PaymentLinkStatus = z
  .object({
    id: z.string(),
    status: z.string().meta({ example: 'Active' }),
    amount: z.number().int().optional(),
    currency: z.string().optional(),
    reference: z.string().optional(),
    expires_on: z.string().optional(),
    payment_id: z.string().optional(),
  })
  .meta({
    description: 'What a browser may read about a link: its status and order, not the customer details.',
  });

export const PaymentSessionStatus = z
  .object({
    session_id: z.string().meta({ example: 'ps_2Un6I6lRpIAiIEwQIyxWVnV9CqQ' }),
    status: z.enum(['pending', 'approved', 'declined', 'unknown']).meta({
      description:
        '`approved`/`declined`: settled. `pending`: the payment waits for the customer (3DS). `unknown`: no ' +
        'payment through this session is known yet — keep polling for a while, never submit again automatically.',
    }),
    payment_id: z.string().optional().meta({ example: 'pay_mbabizu24mvu3mela5njyhpit4' }),
    source: z.enum(['webhook', 'upstream']).meta({
      description: "Where the answer came from: the webhook events Bollard received, or Checkout.com's API.",
    }),
  })
  .meta({
    description:
      'What is known about the payment made through a session Bollard created: the approved payment if there ' +
      'is one, else the most recent. A page that retried the session with another card compares `payment_id` ' +
      'with the one it already has.',
  });

export const StorefrontConfig = z.object({
  public_key: z.string().meta({ example: 'pk_sbox_…' }),
  environment: z.enum(['sandbox', 'production']),
  tokenization_url: z.string().meta({ example: 'https://api.sandbox.checkout.com/tokens' }),
  tokenize_js: z.string().meta({ example: '/v1/tokenize.js' }),
  order_mode: z.enum(['signed', 'open']),
  currencies: z.array(z.object({ code: z.string(), min: z.number().int(), max: z.number().int() })),
});

export const ErrorBody = z.object({
  request_id: z.string(),
  error_type: z.string(),
  error_codes: z.array(z.string()),
  message: z.string().optional(),
});
