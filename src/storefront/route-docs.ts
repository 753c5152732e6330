import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import * as z from 'zod';
import {
  ErrorBody,
  PaymentLinkId,
  PaymentLinkRequest,
  PaymentLinkResponse,
  PaymentLinkStatus,
  PaymentSessionId,
  PaymentSessionRequest,
  PaymentSessionResponse,
  StorefrontConfig,
  SubmitPaymentSessionRequest,
  SubmitPaymentSessionResponse,
} from './schemas';

/**
 * The OpenAPI description of the storefront surface, built from the same zod schemas the handlers
 * validate with (`GET /openapi.json`).
 */

function errors(...codes: number[]): RouteConfig['responses'] {
  return Object.fromEntries(
    codes.map((code) => [
      code,
      { description: 'The one error shape', content: { 'application/json': { schema: ErrorBody } } },
    ]),
  );
}

const IdempotencyKeyHeader = z.object({
  'idempotency-key': z
    .string()
    .optional()
    .openapi({
      description:
        'IETF Idempotency-Key draft: same key and body replays the first response (`Idempotent-Replayed: true`); ' +
        'same key, different body → 422; first still in flight → 409.',
      example: '"5f1c9d6e-8a51-4a53-a1c4-4e0c2d1f0b7a"',
    }),
});

const json = <S extends z.ZodType>(schema: S) => ({ content: { 'application/json': { schema } } });

export const ROUTES: RouteConfig[] = [
  createRoute({
    method: 'post',
    path: '/v1/payment-sessions',
    tags: ['storefront'],
    summary: 'Create a payment session for Flow',
    description:
      'In `signed` order mode the body carries `order_token` and no amount; in `open` mode amount and currency ' +
      'within the per-currency limits. `processing_channel_id` and payment defaults are set by Bollard.',
    request: { headers: IdempotencyKeyHeader, body: { required: true, ...json(PaymentSessionRequest) } },
    responses: {
      201: { description: "Checkout.com's response, unmodified", ...json(PaymentSessionResponse) },
      ...errors(400, 403, 409, 413, 415, 422, 429, 502, 503),
    },
  }),
  createRoute({
    method: 'post',
    path: '/v1/payment-sessions/{id}/submit',
    tags: ['storefront'],
    summary: "Submit a payment session (the server side of Flow's handleSubmit)",
    request: {
      params: z.object({ id: PaymentSessionId }),
      headers: IdempotencyKeyHeader,
      body: { required: true, ...json(SubmitPaymentSessionRequest) },
    },
    responses: {
      201: {
        description: "Checkout.com's payment response, unmodified",
        ...json(SubmitPaymentSessionResponse),
      },
      202: { description: 'Pending (for example 3DS): unmodified', ...json(SubmitPaymentSessionResponse) },
      ...errors(400, 403, 404, 409, 413, 415, 422, 429, 502, 503),
    },
  }),
  createRoute({
    method: 'post',
    path: '/v1/payment-links',
    tags: ['storefront'],
    summary: 'Create a payment link',
    request: { headers: IdempotencyKeyHeader, body: { required: true, ...json(PaymentLinkRequest) } },
    responses: {
      201: { description: "Checkout.com's response, unmodified", ...json(PaymentLinkResponse) },
      ...errors(400, 403, 409, 413, 415, 422, 429, 502, 503),
    },
  }),
  createRoute({
    method: 'get',
    path: '/v1/payment-links/{id}',
    tags: ['storefront'],
    summary: "Read a payment link's status",
    request: { params: z.object({ id: PaymentLinkId }) },
    responses: {
      200: { description: 'The link', ...json(PaymentLinkStatus) },
      ...errors(403, 404, 422, 429, 502),
    },
  }),
  createRoute({
    method: 'get',
    path: '/v1/config',
    tags: ['storefront'],
    summary: 'What a browser needs to tokenize a card',
    responses: { 200: { description: 'Public configuration', ...json(StorefrontConfig) } },
  }),
  createRoute({
    method: 'get',
    path: '/v1/tokenize.js',
    tags: ['storefront'],
    summary: 'The tokenization helper, an ES module (tokenizeCard posts card data straight to Checkout.com)',
    responses: {
      200: { description: 'JavaScript module', content: { 'text/javascript': { schema: z.string() } } },
    },
  }),
];
