import { createRoute, OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import * as z from 'zod';
import { classic } from './classic-schema';
import {
  StorefrontConfig as Config,
  ErrorBody as ErrorSchema,
  PaymentLinkResponse as LinkResponse,
  PaymentLinkStatus as LinkStatus,
  PaymentSessionResponse as SessionResponse,
  PaymentSessionStatus as SessionStatus,
  SubmitPaymentSessionResponse as SubmitResponse,
} from './response-schemas';
import {
  PaymentLinkId as LinkId,
  PaymentLinkRequest as LinkRequest,
  PaymentSessionId as SessionId,
  PaymentSessionRequest as SessionRequest,
  SubmitPaymentSessionRequest as SubmitRequest,
} from './schemas';

/**
 * The OpenAPI description of the storefront surface, built from the same zod schemas the handlers
 * validate with. Not part of the Worker: test/storefront/openapi.test.ts writes the document it builds
 * into openapi-document.ts (and fails while the two differ), and `GET /openapi.json` serves that text,
 * so neither the generator (`@hono/zod-openapi`, which extends zod with `.openapi()` when it loads) nor
 * the response schemas cost the Worker's size or cold start. Component names and path parameters are
 * given here; descriptions and examples come from the schemas' own `meta`. The request schemas are
 * `zod/mini` and reach the generator as classic copies (`classic-schema.ts`).
 */

const ErrorBody = ErrorSchema.openapi('Error');
const PaymentSessionRequest = classic(SessionRequest).openapi('PaymentSessionRequest');
const PaymentLinkRequest = classic(LinkRequest).openapi('PaymentLinkRequest');
const SubmitPaymentSessionRequest = classic(SubmitRequest).openapi('SubmitPaymentSessionRequest');
const PaymentSessionResponse = SessionResponse.openapi('PaymentSessionResponse');
const SubmitPaymentSessionResponse = SubmitResponse.openapi('SubmitPaymentSessionResponse');
const PaymentLinkResponse = LinkResponse.openapi('PaymentLinkResponse');
const PaymentLinkStatus = LinkStatus.openapi('PaymentLinkStatus');
const PaymentSessionStatus = SessionStatus.openapi('PaymentSessionStatus');
const StorefrontConfig = Config.openapi('StorefrontConfig');
const PaymentSessionId = classic(SessionId).openapi({ param: { name: 'id', in: 'path' } });
const PaymentLinkId = classic(LinkId).openapi({ param: { name: 'id', in: 'path' } });

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
        'One random key per attempt, 16–255 printable ASCII characters (IETF Idempotency-Key draft). Same key and ' +
        'body replays the first response (`Idempotent-Replayed: true`) from any client address; same key, different ' +
        'body → 422; first still in flight → 409. Without it every request creates a new session or link.',
      example: '"5f1c9d6e-8a51-4a53-a1c4-4e0c2d1f0b7a"',
    }),
});

const SubmitIdempotencyKeyHeader = z.object({
  'idempotency-key': z
    .string()
    .optional()
    .openapi({
      description:
        'One key per logical submit. Bollard scopes it to the session (`<session id>.<key>`; a value an earlier ' +
        'answer returned in `Cko-Idempotency-Key` is used as it is) and sends it upstream as ' +
        '`Cko-Idempotency-Key` on every attempt. Without it Bollard derives one from the session and ' +
        '`session_data`, so a double click pays once. Same key and body → the first answer (`Idempotent-Replayed: ' +
        'true`); same key, different body → 422; first still in flight → 409.',
      example: '"5f1c9d6e-8a51-4a53-a1c4-4e0c2d1f0b7a"',
    }),
});

/** The submit's key, on every answer: retry with it (as `Idempotency-Key`) to get the original outcome. */
const SubmitKeyResponseHeader = {
  'Cko-Idempotency-Key': {
    description:
      'The key this submit was sent upstream with. After a 504 `upstream_outcome_unknown`, retry with it as ' +
      '`Idempotency-Key` (the original outcome, never a second payment), or poll `/status`.',
    schema: { type: 'string' as const },
  },
};

const json = <S extends z.ZodType>(schema: S) => ({ content: { 'application/json': { schema } } });

/** Error answers that carry the submit's key. */
function keyedErrors(...codes: number[]): RouteConfig['responses'] {
  return Object.fromEntries(
    Object.entries(errors(...codes)).map(([code, res]) => [
      code,
      { ...res, headers: SubmitKeyResponseHeader },
    ]),
  );
}

const ROUTES: RouteConfig[] = [
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
    description:
      'Money moves here, under one `Cko-Idempotency-Key` returned on every answer. `504 upstream_outcome_unknown` ' +
      'means Bollard could not learn in time whether the payment happened: show "confirming", poll ' +
      '`GET /v1/payment-sessions/{id}/status`, and retry only with the returned key.',
    request: {
      params: z.object({ id: PaymentSessionId }),
      headers: SubmitIdempotencyKeyHeader,
      body: { required: true, ...json(SubmitPaymentSessionRequest) },
    },
    responses: {
      201: {
        description: "Checkout.com's payment response, unmodified",
        headers: SubmitKeyResponseHeader,
        ...json(SubmitPaymentSessionResponse),
      },
      202: {
        description: 'Pending (for example 3DS): unmodified',
        headers: SubmitKeyResponseHeader,
        ...json(SubmitPaymentSessionResponse),
      },
      ...errors(400, 403, 413, 415),
      ...keyedErrors(404, 409, 422, 429, 502, 503, 504),
    },
  }),
  createRoute({
    method: 'get',
    path: '/v1/payment-sessions/{id}/status',
    tags: ['storefront'],
    summary: 'What is known about the payment made through a session (read only; never pays)',
    description:
      'For a page whose submit answered 504 `upstream_outcome_unknown`: poll it (for example every second for a ' +
      'minute) until `approved` or `declined`. Answers from the webhook events Bollard received, else from ' +
      "Checkout.com's payments under the session's order reference. Only sessions Bollard created.",
    request: { params: z.object({ id: PaymentSessionId }) },
    responses: {
      200: { description: 'The status', ...json(PaymentSessionStatus) },
      ...errors(403, 404, 422, 429, 502, 503, 504),
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

type OpenApiDocument = ReturnType<OpenAPIHono['getOpenAPI31Document']>;

/** The storefront's OpenAPI 3.1 document. */
export function storefrontOpenApiDocument(): OpenApiDocument {
  const app = new OpenAPIHono();
  for (const route of ROUTES) app.openAPIRegistry.registerPath(route);
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'Bollard storefront API',
      version: '1.0.0',
      description:
        'What a storefront frontend may call. Errors use one shape: { request_id, error_type, error_codes, message? }.',
    },
  });
}
