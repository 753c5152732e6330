import { type Context, Hono } from 'hono';
import { jsonBody } from '../lib/body';
import type { SimHonoEnv } from '../lib/context';
import { ckoError, invalid, notFound } from '../lib/errors';
import { acceptDispute, type DisputeFailure, stageEvidence, submitEvidence } from './dispute-actions';
import {
  allDisputes,
  DISPUTE_STATUSES,
  type Dispute,
  disputeSummary,
  disputeView,
  getDispute,
  parseEvidence,
  readEvidence,
} from './disputes';

/** `GET /disputes`, `GET /disputes/{id}`, accept, and evidence (stage, read, submit). */
export const disputeRoutes = new Hono<SimHonoEnv>();

function parseDate(value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

disputeRoutes.get('/disputes', (c) => {
  const q = c.req.query();
  const codes: string[] = [];
  const limit = q.limit === undefined ? 50 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 250) codes.push('paging_limit_invalid');
  const skip = q.skip === undefined ? 0 : Number(q.skip);
  if (!Number.isInteger(skip) || skip < 0) codes.push('paging_skip_invalid');
  const from = parseDate(q.from);
  const to = parseDate(q.to);
  if (from === null) codes.push('from_invalid');
  if (to === null) codes.push('to_invalid');
  const statuses = q.statuses
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (statuses?.some((s) => !(DISPUTE_STATUSES as readonly string[]).includes(s)))
    codes.push('statuses_invalid');
  if (codes.length > 0) return invalid(c, ...codes);

  const matches = allDisputes(c.var.sim.sql).filter((d: Dispute) => {
    const received = Date.parse(d.received_on);
    if (from != null && received < from) return false;
    if (to != null && received > to) return false;
    if (q.id !== undefined && d.id !== q.id) return false;
    if (statuses && !statuses.includes(d.status)) return false;
    if (q.payment_id !== undefined && d.payment.id !== q.payment_id) return false;
    if (q.payment_reference !== undefined && d.payment.reference !== q.payment_reference) return false;
    if (q.payment_arn !== undefined && d.payment.arn !== q.payment_arn) return false;
    return true;
  });
  const echoed: Record<string, string> = {};
  for (const k of [
    'from',
    'to',
    'id',
    'statuses',
    'payment_id',
    'payment_reference',
    'payment_arn',
  ] as const) {
    const v = q[k];
    if (v !== undefined) echoed[k] = v;
  }
  return c.json({
    limit,
    skip,
    ...echoed,
    total_count: matches.length,
    data: matches.slice(skip, skip + limit).map((d) => disputeSummary(d, c.var.sim.origin)),
  });
});

disputeRoutes.get('/disputes/:id', (c) => {
  const d = getDispute(c.var.sim.sql, c.req.param('id'));
  return d ? c.json(disputeView(d, c.var.sim.origin)) : notFound(c);
});

function fail(c: Context<SimHonoEnv>, r: DisputeFailure): Response {
  return r.status === 404 ? notFound(c) : ckoError(c, r.status, r.errorType, r.codes);
}

disputeRoutes.post('/disputes/:id/accept', (c) => {
  const d = getDispute(c.var.sim.sql, c.req.param('id'));
  if (!d) return notFound(c);
  const r = acceptDispute(c.var.sim, d);
  return r.ok ? c.body(null, 204) : fail(c, r);
});

disputeRoutes.put('/disputes/:id/evidence', async (c) => {
  const sim = c.var.sim;
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const d = getDispute(sim.sql, c.req.param('id'));
  if (!d) return notFound(c);
  const parsed = parseEvidence(body);
  if (!parsed.ok) return invalid(c, ...parsed.codes);
  const r = stageEvidence(sim, d, parsed.value);
  return r.ok ? c.body(null, 204) : fail(c, r);
});

disputeRoutes.get('/disputes/:id/evidence', (c) => {
  const sim = c.var.sim;
  const d = getDispute(sim.sql, c.req.param('id'));
  if (!d) return notFound(c);
  const self = `${sim.origin}/disputes/${d.id}`;
  return c.json({
    ...readEvidence(sim.sql, d.id),
    _links: { self: { href: `${self}/evidence` }, parent: { href: self } },
  });
});

disputeRoutes.post('/disputes/:id/evidence', (c) => {
  const d = getDispute(c.var.sim.sql, c.req.param('id'));
  if (!d) return notFound(c);
  const r = submitEvidence(c.var.sim, d);
  return r.ok ? c.body(null, 204) : fail(c, r);
});
