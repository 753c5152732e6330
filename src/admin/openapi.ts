import { createRoute, OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import * as z from 'zod';
import { AREAS, EVENTS } from '../catalog';

/**
 * The OpenAPI 3.1 description of the operator API, `/admin/*`. Not part of the Worker: as for the
 * storefront, test/console/openapi.test.ts writes the document built here into openapi-document.ts (and
 * fails while the two differ), and `GET /admin/openapi.json` serves that text through a dynamic
 * `import()`, so neither `@hono/zod-openapi` nor these schemas cost the Worker's size or any other
 * request. The admin API is the one source of truth; the console is only one of its clients.
 */

const areaIds = AREAS.map((a) => a.id) as [string, ...string[]];
const eventTypes = EVENTS.map((e) => e.type) as [string, ...string[]];

const ErrorBody = z
  .object({
    request_id: z.string(),
    error_type: z.string(),
    error_codes: z.array(z.string()),
    message: z.string().optional(),
  })
  .meta({ description: 'The one error shape (the same as Checkout.com’s).' });

const Iso = z.string().meta({ description: 'ISO 8601 time (UTC)', example: '2026-11-24T09:00:00.000Z' });
const Amounts = z
  .record(z.string().regex(/^[A-Z]{3}$/), z.number().int().nonnegative())
  .meta({ description: 'Minor units per currency', example: { EUR: 50000 } });
const Grants = z
  .partialRecord(z.enum(areaIds), z.enum(['read', 'write']))
  .meta({ description: 'Per area of the API guide; write includes read; an absent area is denied.' });
const Limits = z.object({
  max_amount_per_call: Amounts.optional(),
  max_amount_per_day: Amounts.optional(),
  currencies: z.array(z.string().regex(/^[A-Z]{3}$/)).optional(),
  max_amount_per_7_days: Amounts.optional().meta({ description: 'Per rolling 7 days (whole hours)' }),
  max_amount_per_30_days: Amounts.optional().meta({ description: 'Per rolling 30 days (whole hours)' }),
  max_amount_lifetime: Amounts.optional().meta({ description: 'Over the agent’s whole life' }),
  max_calls_per_hour: z
    .record(z.string(), z.number().int().nonnegative())
    .optional()
    .meta({
      description: 'Money-moving calls per rolling hour: `*` for all, or per money-moving method',
      example: { '*': 100, refundPayment: 10 },
    }),
});
const Scope = z.partialRecord(z.enum(areaIds), z.enum(['own', 'any'])).meta({
  description:
    'Object scope per area: `own` (only objects the agent created through Bollard) or `any`. An area left out: `own` for a write grant, `any` for a read grant.',
});
const SpendView = z.object({
  today: Amounts,
  last_7_days: Amounts,
  last_30_days: Amounts,
  lifetime: Amounts,
  calls_last_hour: z.record(z.string(), z.number().int()),
});
const OwnedObjects = z.object({
  owned: z.record(z.string(), z.number().int()).meta({ description: 'Objects owned, per kind' }),
  unresolved: z.number().int().meta({ description: 'Creations whose outcome is still unknown' }),
});
const VoidReport = z.object({
  voided: z.array(
    z.object({ payment_id: z.string(), action_id: z.string().nullable(), idempotency_key: z.string() }),
  ),
  not_voided: z.array(
    z.object({
      payment_id: z.string(),
      reason: z.enum([
        'not_open',
        'not_found',
        'read_failed',
        'void_refused',
        'void_failed',
        'outcome_unknown',
      ]),
      status: z.string().optional(),
      upstream_status: z.number().int().optional(),
      idempotency_key: z.string().optional(),
    }),
  ),
  remaining: z.number().int().meta({ description: 'Candidates beyond this batch: send the request again' }),
});

// ── approvals (docs/agents.md, "Approvals") ──
const ApprovalPolicy = z
  .object({
    at_or_over: Amounts.optional().meta({
      description: 'Money-moving calls at or over this need approval; a currency not named always does',
    }),
    methods: z
      .array(z.string())
      .optional()
      .meta({ description: 'Catalog methods that always need approval' }),
    all_money_moving: z.boolean().optional(),
    two_approvers_at_or_over: Amounts.optional().meta({
      description: 'At or over this, two different approvers',
    }),
    ttl_seconds: z
      .number()
      .int()
      .min(60)
      .max(86_400)
      .optional()
      .meta({ description: 'To decide, and to re-send once approved (default 900)' }),
  })
  .meta({ description: 'Which calls a person must approve before Bollard sends them (null: none)' });
const ApprovalStatus = z.enum(['pending', 'approved', 'declined', 'expired', 'executed']);
const Approval = z.object({
  id: z.string().meta({ example: 'apr_…' }),
  agent_id: z.string(),
  agent_name: z.string(),
  method: z.string().meta({ description: 'The catalog method', example: 'refundPayment' }),
  http_method: z.string(),
  path: z.string(),
  amount: z.number().int().nullable(),
  currency: z.string().nullable(),
  body_redacted: z
    .unknown()
    .meta({ description: 'The body as sent, card number, security code and expiry redacted' }),
  idempotency_key: z.string(),
  channel: z.enum(['rest', 'mcp']),
  requested_at: Iso,
  expires_at: Iso.meta({ description: 'Pending: decide by; approved: re-send by' }),
  status: ApprovalStatus,
  approvers_required: z.union([z.literal(1), z.literal(2)]),
  decisions: z.array(
    z.object({
      approver_id: z.string(),
      approver_name: z.string(),
      decision: z.enum(['approve', 'decline']),
      reason: z.string().nullable(),
      at: Iso,
      via: z.enum(['passkey', 'dev_bearer']),
      credential_id: z.string().nullable(),
    }),
  ),
  executed_at: Iso.nullable(),
  executed_status: z.number().int().nullable(),
});
const ApproverClaim = z.object({
  approver_id: z.string().meta({ description: 'A registered approver (`dev` with the dev setting)' }),
  assertion: z.unknown().optional().meta({ description: 'The approver’s WebAuthn authentication response' }),
});

const Agent = z.object({
  id: z.string().meta({ example: 'agt_…' }),
  name: z.string(),
  grants: Grants,
  scope: Scope.meta({ description: 'The effective object scope of every granted area' }),
  limits: Limits,
  expires_at: Iso.nullable(),
  created_on: Iso,
  updated_on: Iso,
  key_issued_on: Iso,
  key_prefix: z.string(),
  revoked_on: Iso.nullable(),
  status: z.enum(['active', 'expired', 'revoked']),
  approval: ApprovalPolicy.nullable(),
});
const IssuedAgent = Agent.extend({
  key: z.string().meta({ description: 'The agent key (`bak_…`): in this answer only, never again.' }),
});
const CreateAgent = z.object({
  name: z.string().min(1).max(100),
  grants: Grants,
  scope: Scope.optional(),
  limits: Limits.optional(),
  expires_at: Iso.nullable().optional(),
  approval: ApprovalPolicy.nullable().optional(),
});
const PatchAgent = CreateAgent.partial().extend({ limits: Limits.nullable().optional() });

const Page = <T extends z.ZodType>(item: T) =>
  z.object({
    total_count: z.number().int(),
    limit: z.number().int(),
    skip: z.number().int(),
    data: z.array(item),
  });

const AuditRecord = z.looseObject({
  seq: z.number().int(),
  at: Iso,
  agent_id: z.string().nullable(),
  agent_name: z.string().nullable(),
  channel: z.enum(['rest', 'mcp', 'admin']),
  method: z.string(),
  path_template: z.string().nullable(),
  entry: z.string().nullable(),
  area: z.string().nullable(),
  access: z.enum(['read', 'write']).nullable(),
  decision: z.enum(['allowed', 'denied', 'failed']),
  reason: z.string(),
  upstream_status: z.number().int().nullable(),
  latency_ms: z.number(),
  request_id: z.string(),
  upstream_request_id: z.string().nullable(),
  idempotency_key: z.string().nullable(),
  amount: z.number().int().nullable(),
  currency: z.string().nullable(),
  prev_hash: z.string(),
  hash: z.string(),
});
const AuditVerification = z.looseObject({
  valid: z.boolean(),
  count: z.number().int(),
  head: z
    .union([z.string(), z.object({ seq: z.number().int(), hash: z.string() })])
    .meta({ description: 'Every chain: a digest of their heads; one agent’s chain: its last record' }),
  first_invalid_seq: z.number().int().nullable(),
  invalid_chain: z.string().nullable().optional(),
});

const ArchiveReport = z.looseObject({
  ok: z.boolean(),
  trigger: z.enum(['cron', 'admin']),
  chains: z.number().int(),
  ranges: z.number().int(),
  entries: z.number().int(),
  more: z.boolean(),
  written: z.array(
    z.object({
      chain: z.string(),
      first_seq: z.number().int(),
      last_seq: z.number().int(),
      range_key: z.string(),
      head_key: z.string(),
    }),
  ),
  problems: z.array(z.object({ chain: z.string(), problem: z.string(), seq: z.number().int().nullable() })),
});
const ChainArchive = z.object({
  chain: z.string(),
  head_seq: z.number().int(),
  archived_seq: z.number().int(),
  archived_hash: z.string().nullable(),
  archived_key: z.string().nullable(),
  archived_at: Iso.nullable(),
  lag_entries: z.number().int(),
  lag_seconds: z.number().int(),
});
const EventStatus = z.enum(['pending', 'retrying', 'processed', 'dead_lettered']);
const EventSummary = z.object({
  id: z.string().meta({ example: 'evt_…' }),
  subject: z.string().meta({ description: 'The payment (`pay_…`), dispute (`dsp_…`) or the event id' }),
  type: z.string(),
  status: EventStatus,
  created_on: z.string().meta({ description: 'The event time as Checkout.com sent it' }),
  received_at: Iso,
  deliveries: z.number().int(),
  replays: z.number().int(),
  dead_handlers: z.array(z.string()),
});
const HandlerRun = z.object({
  handler: z.string(),
  replay: z.number().int(),
  status: z.enum(['pending', 'running', 'done', 'dead', 'skipped']),
  attempts: z.number().int(),
  next_attempt_at: Iso.nullable(),
  last_error: z.string().nullable(),
  finished_at: Iso.nullable(),
});
const EventDetail = EventSummary.extend({
  known: z.boolean(),
  event: z.record(z.string(), z.unknown()).meta({ description: 'The delivered envelope, redacted' }),
  runs: z.array(HandlerRun),
});
const TimelineEntry = z.object({
  event_id: z.string(),
  type: z.string(),
  created_on: z.string(),
  action_id: z.string().optional(),
  amount: z.number().int().optional(),
});
const Projection = z.looseObject({
  id: z.string(),
  status: z.string(),
  events: z.number().int(),
  timeline: z.array(TimelineEntry).meta({ description: 'Ordered by event time (parsed), then id' }),
});
const QuarantineEntry = z.object({
  id: z.number().int(),
  request_id: z.string(),
  received_at: Iso,
  last_received_at: Iso,
  deliveries: z.number().int(),
  reason: z.string(),
  codes: z.array(z.string()),
  size: z.number().int().meta({ description: 'Bytes received' }),
  preview: z.string().meta({ description: 'The first bytes of the body, redacted' }),
});
const SessionState = z.object({
  signed_in: z.boolean(),
  via: z.enum(['token', 'session', 'access']).optional(),
  expires_at: Iso.nullable().optional(),
  email: z.string().nullable().optional(),
  csrf_token: z
    .string()
    .nullable()
    .optional()
    .meta({ description: 'Send as `X-CSRF-Token` on every write made with the cookie or Access' }),
  reason: z.string().optional(),
});

const json = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const errors = (...codes: number[]): RouteConfig['responses'] =>
  Object.fromEntries(codes.map((c) => [c, json(ErrorBody, 'The one error shape')]));
const idParam = (example: string) => z.object({ id: z.string().meta({ example }) });
const paging = {
  limit: z.string().optional().meta({ description: 'Page size' }),
  skip: z.string().optional().meta({ description: 'Records to skip' }),
};
const auditQuery = z.object({
  agent: z.string().optional().meta({ description: 'An agent id (also `agent_id`)' }),
  area: z.enum(areaIds).optional(),
  decision: z.enum(['allowed', 'denied', 'failed']).optional(),
  from: Iso.optional().meta({ description: 'Inclusive' }),
  to: Iso.optional().meta({ description: 'Exclusive' }),
  ...paging,
});

const auth: Array<Record<string, string[]>> = [
  { adminToken: [] },
  { consoleSession: [] },
  { cloudflareAccess: [] },
];
/**
 * A route's description. Every route that needs admin credentials may also answer 429
 * `admin_credentials_rate_limited` (with `Retry-After`) to a source past its limit on wrong admin tokens.
 */
const route = (r: RouteConfig & { public?: boolean }): RouteConfig => {
  const { public: open, ...rest } = r;
  if (open) return createRoute({ ...rest, security: [] });
  return createRoute({ ...rest, security: auth, responses: { ...rest.responses, ...errors(429) } });
};

/** The approvers' routes, in one block (issue 18's passkeys). */
function APPROVER_ROUTES(): RouteConfig[] {
  const Approver = z.object({
    id: z.string().meta({ example: 'apr_…' }),
    name: z.string(),
    credential_id: z.string().meta({ description: 'The passkey’s credential id (base64url)' }),
    transports: z.array(z.string()),
    rp_id: z.string().meta({ description: 'The host the passkey signs for' }),
    device_type: z.enum(['singleDevice', 'multiDevice']),
    backed_up: z.boolean(),
    created_at: Iso,
    last_used_at: Iso.nullable(),
  });
  const WebAuthnJson = z.looseObject({}).meta({
    description: 'A WebAuthn response as `PublicKeyCredential.toJSON()` gives it (base64url fields)',
  });
  const Options = z
    .looseObject({ challenge: z.string() })
    .meta({ description: 'WebAuthn options JSON, for `PublicKeyCredential.parse…OptionsFromJSON()`' });
  const Signed = z.object({ approver_id: z.string().meta({ example: 'apr_…' }), assertion: WebAuthnJson });
  const body = <S extends z.ZodType>(schema: S) => ({
    body: { required: true, content: { 'application/json': { schema } } },
  });
  return [
    route({
      method: 'get',
      path: '/admin/approvers',
      tags: ['approvers'],
      summary: 'The approvers, and how a new one may be added',
      description:
        '`enrollment`: `first` (none yet: the admin credential alone registers one), `sponsored` (an existing approver consents with their passkey) or `open` (`APPROVERS_OPEN_ENROLLMENT=true`, break-glass).',
      responses: {
        200: json(
          z.object({
            data: z.array(Approver),
            total_count: z.number().int(),
            enrollment: z.enum(['first', 'sponsored', 'open']),
          }),
          'The approvers',
        ),
        ...errors(401),
      },
    }),
    route({
      method: 'post',
      path: '/admin/approvers/registration-options',
      tags: ['approvers'],
      summary: 'Creation options for a new approver’s passkey',
      description:
        'User verification required, a discoverable credential preferred, no attestation, the RP id this host (an IP address is refused: use a host name such as `localhost`). Every registered passkey is excluded. Challenges are single-use, for five minutes.',
      request: body(z.object({ name: z.string().min(1).max(100) })),
      responses: {
        200: json(
          z.object({
            approver_id: z.string(),
            registration: Options,
            enrollment: z.enum(['first', 'sponsored', 'open']),
          }),
          'The options',
        ),
        ...errors(400, 401, 422),
      },
    }),
    route({
      method: 'post',
      path: '/admin/approvers',
      tags: ['approvers'],
      summary: 'Register an approver’s verified passkey',
      description:
        'The first approver (or any, under open enrollment) is active at once: 201. Once approvers exist, the new one waits five minutes for an existing approver’s consent: 202 `awaiting_sponsor`, then `POST /admin/approvers/{id}/sponsor`.',
      request: body(z.object({ name: z.string(), registration: WebAuthnJson })),
      responses: {
        201: json(Approver.extend({ status: z.literal('active') }), 'The approver, active'),
        202: json(
          Approver.extend({ status: z.literal('awaiting_sponsor'), consent_expires_at: Iso }),
          'The approver, waiting for a sponsor',
        ),
        ...errors(400, 401, 409, 422),
      },
    }),
    route({
      method: 'post',
      path: '/admin/approvers/{id}/sponsor',
      tags: ['approvers'],
      summary: 'An existing approver consents to a pending one, with their passkey',
      request: { params: idParam('apr_…'), ...body(Signed) },
      responses: {
        201: json(Approver.extend({ status: z.literal('active') }), 'The approver, active'),
        ...errors(400, 401, 403, 404, 422),
      },
    }),
    route({
      method: 'post',
      path: '/admin/approvers/{id}/challenge',
      tags: ['approvers'],
      summary: 'Request options for a consent to a pending approver, a passkey test, or a removal',
      description:
        '`sponsor`: `{id}` is a pending approver, `approver_id` the consenting one. `test`: `approver_id` is `{id}`. `remove`: any approver’s consent.',
      request: {
        params: idParam('apr_…'),
        ...body(z.object({ approver_id: z.string(), purpose: z.enum(['sponsor', 'test', 'remove']) })),
      },
      responses: { 200: json(Options, 'The options'), ...errors(400, 401, 403, 404, 422) },
    }),
    route({
      method: 'post',
      path: '/admin/approvers/{id}/test',
      tags: ['approvers'],
      summary: 'Check that the approver’s passkey works here (user verification, origin, RP id, counter)',
      request: { params: idParam('apr_…'), ...body(z.object({ assertion: WebAuthnJson })) },
      responses: {
        200: json(z.object({ verified: z.boolean(), approver: Approver }), 'Verified'),
        ...errors(400, 401, 403, 404, 422),
      },
    }),
    route({
      method: 'delete',
      path: '/admin/approvers/{id}',
      tags: ['approvers'],
      summary: 'Remove an approver, with an approver’s passkey consent (none needed under open enrollment)',
      request: { params: idParam('apr_…'), ...body(Signed) },
      responses: {
        200: json(Approver.extend({ removed: z.boolean() }), 'The removed approver'),
        ...errors(400, 401, 403, 404, 422),
      },
    }),
  ];
}

const ROUTES: RouteConfig[] = [
  route({
    method: 'get',
    path: '/admin',
    tags: ['console'],
    public: true,
    summary: 'The operator console (HTML; its data comes from this API)',
    responses: { 200: { description: 'The page', content: { 'text/html': { schema: z.string() } } } },
  }),
  route({
    method: 'get',
    path: '/admin/console/{file}',
    tags: ['console'],
    public: true,
    summary: 'The console’s scripts and stylesheet',
    request: { params: z.object({ file: z.string().meta({ example: 'app.js' }) }) },
    responses: { 200: { description: 'The file' }, ...errors(404) },
  }),
  route({
    method: 'get',
    path: '/admin/session',
    tags: ['console'],
    public: true,
    summary: 'Who is signed in, until when, and the CSRF token (200 with signed_in false when nobody is)',
    responses: { 200: json(SessionState, 'The session state'), ...errors(429) },
  }),
  route({
    method: 'post',
    path: '/admin/session',
    tags: ['console'],
    public: true,
    summary: 'Sign in: exchange the admin token for a session cookie',
    description:
      'Same-origin only (`Origin` must be this origin), JSON only. Sets `__Host-bollard_session` (HttpOnly, ' +
      'Secure, SameSite=Strict; `bollard_session` without Secure on a loopback http origin), an HS256 JWT ' +
      'valid 30 minutes, renewed while in use, for at most 12 hours. Wrong tokens count towards the ' +
      'per-source limit shared with bearer tokens: past it, 429 with `Retry-After`.',
    request: {
      body: { required: true, content: { 'application/json': { schema: z.object({ token: z.string() }) } } },
    },
    responses: { 200: json(SessionState, 'Signed in'), ...errors(401, 403, 415, 429) },
  }),
  route({
    method: 'delete',
    path: '/admin/session',
    tags: ['console'],
    public: true,
    summary: 'Sign out (clears the cookie)',
    responses: { 200: json(SessionState, 'Signed out'), ...errors(403) },
  }),
  route({
    method: 'get',
    path: '/admin/openapi.json',
    tags: ['meta'],
    summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3.1' }, ...errors(401) },
  }),
  route({
    method: 'get',
    path: '/admin/status',
    tags: ['health'],
    summary:
      'Auth mode, OAuth token state (never a token), governor budgets and shed counts, upstream error rates, the last webhook',
    responses: { 200: json(z.looseObject({}), 'The status'), ...errors(401) },
  }),
  route({
    method: 'get',
    path: '/admin/metrics',
    tags: ['health'],
    summary: 'Requests, errors, latency and governor waits over a window',
    description:
      'From the Analytics Engine SQL API when configured (every isolate), else this isolate’s rolling aggregate.',
    request: {
      query: z.object({ window: z.string().optional().meta({ description: 'e.g. 15m, 1h', example: '1h' }) }),
    },
    responses: {
      200: json(z.looseObject({ window: z.string(), source: z.string() }), 'The summary'),
      ...errors(401, 422),
    },
  }),
  route({
    method: 'get',
    path: '/admin/doctor',
    tags: ['health'],
    summary: 'Configuration checks that need Bollard’s secrets',
    request: {
      query: z.object({ url: z.string().optional().meta({ description: 'Bollard’s public URL' }) }),
    },
    responses: { 200: json(z.looseObject({ ok: z.boolean() }), 'One row per check'), ...errors(401, 422) },
  }),
  route({
    method: 'post',
    path: '/admin/doctor/webhook-test',
    tags: ['health'],
    summary: 'Send a signed test event through the workflow and wait for it in the inbox',
    responses: { 200: json(z.looseObject({}), 'The check'), ...errors(401, 403, 422) },
  }),
  route({
    method: 'get',
    path: '/admin/agents',
    tags: ['agents'],
    summary: 'List agents',
    request: { query: z.object(paging) },
    responses: { 200: json(Page(Agent), 'A page of agents'), ...errors(401, 422) },
  }),
  route({
    method: 'post',
    path: '/admin/agents',
    tags: ['agents'],
    summary: 'Create an agent; the answer holds its key, once',
    request: { body: { required: true, content: { 'application/json': { schema: CreateAgent } } } },
    responses: { 201: json(IssuedAgent, 'The agent and its key'), ...errors(400, 401, 403, 422) },
  }),
  route({
    method: 'get',
    path: '/admin/agents/upstream-scopes',
    tags: ['agents'],
    summary: 'The OAuth scopes the active grants need upstream',
    responses: { 200: json(z.object({ scopes: z.array(z.string()) }), 'Scopes'), ...errors(401) },
  }),
  route({
    method: 'get',
    path: '/admin/agents/{id}',
    tags: ['agents'],
    summary: 'One agent, with what it spent per window and currency, and what it owns',
    request: { params: idParam('agt_…') },
    responses: {
      200: json(Agent.extend({ spent_today: Amounts, spent: SpendView, objects: OwnedObjects }), 'The agent'),
      ...errors(401, 404),
    },
  }),
  route({
    method: 'patch',
    path: '/admin/agents/{id}',
    tags: ['agents'],
    summary: 'Change name, grants, scope, limits (replaced whole) or expiry; the next call sees it',
    request: {
      params: idParam('agt_…'),
      body: { required: true, content: { 'application/json': { schema: PatchAgent } } },
    },
    responses: { 200: json(Agent, 'The agent'), ...errors(400, 401, 403, 404, 422) },
  }),
  route({
    method: 'delete',
    path: '/admin/agents/{id}',
    tags: ['agents'],
    summary:
      'Revoke (effective on the next call); `?void_open_authorizations=true` also voids its open authorisations',
    request: {
      params: idParam('agt_…'),
      query: z.object({ void_open_authorizations: z.enum(['true', 'false']).optional() }),
    },
    responses: {
      200: json(Agent.extend({ voids: VoidReport.optional() }), 'The revoked agent (and what was voided)'),
      ...errors(401, 403, 404, 422),
    },
  }),
  route({
    method: 'post',
    path: '/admin/agents/{id}/revoke',
    tags: ['agents'],
    summary:
      'Revoke (as DELETE); body `{ "void_open_authorizations": true }` also voids its open authorisations',
    request: {
      params: idParam('agt_…'),
      query: z.object({ void_open_authorizations: z.enum(['true', 'false']).optional() }),
      body: {
        required: false,
        content: {
          'application/json': { schema: z.object({ void_open_authorizations: z.boolean().optional() }) },
        },
      },
    },
    responses: {
      200: json(Agent.extend({ voids: VoidReport.optional() }), 'The revoked agent (and what was voided)'),
      ...errors(401, 403, 404, 422),
    },
  }),
  route({
    method: 'post',
    path: '/admin/agents/{id}/rotate',
    tags: ['agents'],
    summary: 'A new key, shown once; the old one fails on its next call',
    request: { params: idParam('agt_…') },
    responses: { 200: json(IssuedAgent, 'The agent and its new key'), ...errors(401, 403, 404, 409) },
  }),
  route({
    method: 'get',
    path: '/admin/audit',
    tags: ['audit'],
    summary: 'Query the audit log (NDJSON with Accept: application/x-ndjson)',
    request: { query: auditQuery },
    responses: { 200: json(Page(AuditRecord), 'A page of records, in sequence order'), ...errors(401, 422) },
  }),
  route({
    method: 'get',
    path: '/admin/audit/export',
    tags: ['audit'],
    summary: 'Every matching record as NDJSON',
    request: { query: auditQuery },
    responses: {
      200: {
        description: 'One record per line',
        content: { 'application/x-ndjson': { schema: AuditRecord } },
      },
      ...errors(401, 422),
    },
  }),
  route({
    method: 'get',
    path: '/admin/audit/verify',
    tags: ['audit'],
    summary: 'Recompute the hash chains (every chain from its checkpoint, or one agent’s in full)',
    request: {
      query: z.object({
        agent: z.string().optional().meta({ description: 'One agent’s chain (also `agent_id`)' }),
        full: z.string().optional().meta({ description: '`1`: every chain from its genesis' }),
      }),
    },
    responses: { 200: json(AuditVerification, 'The verification'), ...errors(401) },
  }),
  route({
    method: 'post',
    path: '/admin/audit/archive',
    tags: ['audit'],
    summary: 'Archive every chain’s new entries to R2 now (write-once NDJSON ranges and signed heads)',
    request: {
      body: {
        required: false,
        content: {
          'application/json': {
            schema: z.object({
              max_entries: z
                .number()
                .int()
                .min(1)
                .optional()
                .meta({ description: 'Entries this run at most' }),
              range_entries: z
                .number()
                .int()
                .min(1)
                .optional()
                .meta({ description: 'Entries per range at most' }),
            }),
          },
        },
      },
    },
    responses: {
      200: json(ArchiveReport, 'What the run wrote, and any problem per chain'),
      ...errors(401, 403, 409, 422, 503),
    },
  }),
  route({
    method: 'get',
    path: '/admin/audit/archive',
    tags: ['audit'],
    summary: 'Each chain’s last archived head and its lag, most behind first',
    request: { query: z.object(paging) },
    responses: {
      200: json(
        z.looseObject({ summary: z.looseObject({}), chains: z.array(ChainArchive) }),
        'The archive’s state',
      ),
      ...errors(401, 422, 503),
    },
  }),
  route({
    method: 'get',
    path: '/admin/audit/archive/objects',
    tags: ['audit'],
    summary: 'List the archive’s objects (chains/, heads/, keys/)',
    request: {
      query: z.object({
        prefix: z.string().optional().meta({ example: 'chains/agt_…/' }),
        cursor: z.string().optional(),
        limit: z.string().optional(),
      }),
    },
    responses: {
      200: json(
        z.object({
          objects: z.array(z.object({ key: z.string(), size: z.number().int(), uploaded: Iso })),
          truncated: z.boolean(),
          cursor: z.string().nullable(),
        }),
        'A page of keys',
      ),
      ...errors(401, 422, 503),
    },
  }),
  route({
    method: 'get',
    path: '/admin/audit/archive/object',
    tags: ['audit'],
    summary: 'One archive object, byte for byte as stored',
    request: { query: z.object({ key: z.string().meta({ example: 'heads/agt_…/000000000042.jws' }) }) },
    responses: {
      200: {
        description: 'The object (NDJSON range, compact JWS head, or public JWK)',
        content: {
          'application/x-ndjson': { schema: z.string() },
          'application/jose': { schema: z.string() },
          'application/jwk+json': { schema: z.looseObject({}) },
        },
      },
      ...errors(401, 404, 422, 503),
    },
  }),
  route({
    method: 'get',
    path: '/admin/approvals',
    tags: ['approvals'],
    summary:
      'Approvals across agents, newest first (the index trails the agents by about 0.2 s; `agent=` does not)',
    request: {
      query: z.object({
        status: ApprovalStatus.optional(),
        agent: z.string().optional().meta({ description: 'One agent’s approvals, from its own object' }),
        ...paging,
      }),
    },
    responses: { 200: json(Page(Approval), 'A page of approvals'), ...errors(401, 422) },
  }),
  route({
    method: 'get',
    path: '/admin/approvals/{id}',
    tags: ['approvals'],
    summary: 'One approval',
    request: { params: idParam('apr_…') },
    responses: { 200: json(Approval, 'The approval'), ...errors(401, 404) },
  }),
  route({
    method: 'post',
    path: '/admin/approvals/{id}/challenge',
    tags: ['approvals'],
    summary: 'WebAuthn request options for one approver’s passkey, bound to this pending approval',
    description:
      'The challenge commits to the approval id and the hash of the request it covers; single use, five minutes. The answer goes to `approve` or `decline` as `assertion`.',
    request: {
      params: idParam('apr_…'),
      body: {
        required: true,
        content: {
          'application/json': { schema: z.object({ approver_id: z.string().meta({ example: 'apr_…' }) }) },
        },
      },
    },
    responses: {
      200: json(
        z.looseObject({ challenge: z.string() }).meta({
          description: 'WebAuthn options JSON, for `PublicKeyCredential.parseRequestOptionsFromJSON()`',
        }),
        'The options',
      ),
      ...errors(400, 401, 403, 404, 409, 422),
    },
  }),
  route({
    method: 'post',
    path: '/admin/approvals/{id}/approve',
    tags: ['approvals'],
    summary: 'Approve, as a proven approver (a passkey; the admin token alone only with the dev setting)',
    description:
      'Approved once `approvers_required` different approvers have approved; then the agent re-sends the identical request with the approval’s idempotency key, which runs once.',
    request: {
      params: idParam('apr_…'),
      body: { required: true, content: { 'application/json': { schema: ApproverClaim } } },
    },
    responses: { 200: json(Approval, 'The approval'), ...errors(401, 403, 404, 409, 422) },
  }),
  route({
    method: 'post',
    path: '/admin/approvals/{id}/decline',
    tags: ['approvals'],
    summary: 'Decline with a reason (shown to the agent), as a proven approver',
    request: {
      params: idParam('apr_…'),
      body: {
        required: true,
        content: {
          'application/json': { schema: ApproverClaim.extend({ reason: z.string().min(1).max(500) }) },
        },
      },
    },
    responses: { 200: json(Approval, 'The approval'), ...errors(401, 403, 404, 409, 422) },
  }),
  route({
    method: 'get',
    path: '/admin/events',
    tags: ['webhooks'],
    summary: 'Inbox events, newest first (trails acknowledgement by about a second)',
    request: {
      query: z.object({
        type: z.enum(eventTypes).or(z.string()).optional(),
        subject: z.string().optional().meta({ description: 'pay_, dsp_ or evt_ id' }),
        status: EventStatus.optional(),
        ...paging,
      }),
    },
    responses: { 200: json(Page(EventSummary), 'A page of events'), ...errors(401, 422) },
  }),
  route({
    method: 'get',
    path: '/admin/events/{id}',
    tags: ['webhooks'],
    summary: 'One event with its handler runs (found as soon as its delivery was acknowledged)',
    request: { params: idParam('evt_…') },
    responses: { 200: json(EventDetail, 'The event'), ...errors(401, 404) },
  }),
  route({
    method: 'post',
    path: '/admin/events/{id}/replay',
    tags: ['webhooks'],
    summary: 'Re-run the event’s handlers, recorded as the next replay',
    request: { params: idParam('evt_…') },
    responses: {
      202: json(
        z.object({ id: z.string(), replay: z.number().int(), handlers: z.array(z.string()) }),
        'Replay started',
      ),
      ...errors(401, 403, 404),
    },
  }),
  route({
    method: 'get',
    path: '/admin/payments/{id}',
    tags: ['webhooks'],
    summary: 'A payment’s projection and timeline (by event time)',
    request: { params: idParam('pay_…') },
    responses: { 200: json(Projection, 'The projection'), ...errors(401, 404) },
  }),
  route({
    method: 'get',
    path: '/admin/disputes/{id}',
    tags: ['webhooks'],
    summary: 'A dispute’s projection and timeline (by event time)',
    request: { params: idParam('dsp_…') },
    responses: { 200: json(Projection, 'The projection'), ...errors(401, 404) },
  }),
  route({
    method: 'get',
    path: '/admin/dead-letters',
    tags: ['webhooks'],
    summary: 'Events with a dead handler run',
    request: { query: z.object(paging) },
    responses: { 200: json(Page(EventSummary), 'A page of events'), ...errors(401, 422) },
  }),
  route({
    method: 'get',
    path: '/admin/quarantine',
    tags: ['webhooks'],
    summary: 'Signed deliveries that failed validation: one entry per distinct body',
    request: { query: z.object(paging) },
    responses: { 200: json(Page(QuarantineEntry), 'A page of entries'), ...errors(401, 422) },
  }),
  // ---- Approvers and their passkeys (src/approvers/routes.ts; docs/agents.md, "Approvals → Passkeys") ----
  ...APPROVER_ROUTES(),
];

type OpenApiDocument = ReturnType<OpenAPIHono['getOpenAPI31Document']>;

/** The operator API's OpenAPI 3.1 document. */
export function adminOpenApiDocument(): OpenApiDocument {
  const app = new OpenAPIHono();
  app.openAPIRegistry.registerComponent('securitySchemes', 'adminToken', {
    type: 'http',
    scheme: 'bearer',
    description:
      '`Authorization: Bearer <ADMIN_TOKEN>` (scheme case-insensitive): curl, the CLI. Wrong tokens are limited per source (`ADMIN_AUTH_FAILURE_LIMIT_PER_MINUTE`, default 10): past it, 429 with `Retry-After`, the right token included, until the minute ends.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'consoleSession', {
    type: 'apiKey',
    in: 'cookie',
    name: '__Host-bollard_session',
    description:
      'The console’s session cookie (POST /admin/session). Writes also need `X-CSRF-Token` and a same-origin `Origin`.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'cloudflareAccess', {
    type: 'apiKey',
    in: 'header',
    name: 'Cf-Access-Jwt-Assertion',
    description:
      'Cloudflare Access, when ACCESS_TEAM_DOMAIN and ACCESS_AUD are set. Writes also need `X-CSRF-Token` and a same-origin `Origin`.',
  });
  for (const r of ROUTES) app.openAPIRegistry.registerPath(r);
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'Bollard operator API',
      version: '1.0.0',
      description:
        'Everything under /admin. The console is a client of this API. Errors use one shape: ' +
        '{ request_id, error_type, error_codes, message? }.',
    },
  });
}
