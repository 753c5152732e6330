import type { Context } from 'hono';
import { Hono } from 'hono';
import type { JsonObject } from '../lib/body';
import { isHttpUrl, isObject, jsonBody, moneyCodes, str } from '../lib/body';
import { getConfig } from '../lib/config';
import type { SimHonoEnv } from '../lib/context';
import { ckoError, invalid, notFound } from '../lib/errors';
import { parsePage } from '../lib/paging';
import { resolveSource } from './payment-sources';
import type { ActionInput, ActionOutcome } from './payments-engine';
import { capture, createPayment, incrementAuthorization, refund, voidPayment } from './payments-engine';
import type { PaymentRow } from './payments-store';
import { balancesOf, getPaymentRow, listActions } from './payments-store';
import { actionView, paymentCreated, paymentDetails, paymentPending } from './payments-views';
import { customerSummary, findCustomer, resolvePaymentCustomer } from './vault-store';

/** Payments: request, list, get, actions, captures, refunds, voids, incremental authorizations. */
export const paymentsRoutes = new Hono<SimHonoEnv>();

const PAYMENT_TYPES = new Set(['Regular', 'Recurring', 'MOTO', 'Installment', 'Unscheduled', 'PayLater']);
const PROCESSING_CHANNEL = /^pc_\w{26}$/;

/** Field checks shared by `POST /payments` (everything except the source, which is spent last). */
function paymentFieldCodes(body: JsonObject, requireChannel: boolean): string[] {
  const codes = moneyCodes(body, false);
  if (body.capture !== undefined && typeof body.capture !== 'boolean') codes.push('capture_invalid');
  if (body.payment_type !== undefined && !PAYMENT_TYPES.has(String(body.payment_type))) {
    codes.push('payment_type_invalid');
  }
  if (
    body.description !== undefined &&
    (typeof body.description !== 'string' || body.description.length > 100)
  ) {
    codes.push('description_invalid');
  }
  if (body.processing_channel_id === undefined) {
    if (requireChannel) codes.push('processing_channel_id_required');
  } else if (
    typeof body.processing_channel_id !== 'string' ||
    !PROCESSING_CHANNEL.test(body.processing_channel_id)
  ) {
    codes.push('processing_channel_id_invalid');
  }
  if (body['3ds'] !== undefined && !isObject(body['3ds'])) codes.push('three_ds_invalid');
  if (body.metadata !== undefined && !isObject(body.metadata)) codes.push('metadata_invalid');
  if (body.success_url !== undefined && !isHttpUrl(body.success_url)) codes.push('success_url_invalid');
  if (body.failure_url !== undefined && !isHttpUrl(body.failure_url)) codes.push('failure_url_invalid');
  return codes;
}

paymentsRoutes.post('/payments', async (c) => {
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const sim = c.var.sim;
  const codes = paymentFieldCodes(body, getConfig(sim.sql, sim.env).require_processing_channel_id);
  if (body.source === undefined) codes.push('payment_source_required');
  if (body.customer !== undefined) {
    const cust = body.customer;
    if (!isObject(cust)) codes.push('customer_invalid');
    else if (typeof cust.id === 'string' && !findCustomer(sim.sql, cust.id)) codes.push('customer_not_found');
  }
  if (codes.length > 0) return invalid(c, ...codes);
  // Everything else is valid: now spend the source (a token is single use).
  const source = resolveSource(sim.sql, body.source, sim.now());
  if (Array.isArray(source)) return invalid(c, ...source);
  let customer: JsonObject | undefined;
  if (source.customerId) {
    const row = findCustomer(sim.sql, source.customerId);
    customer = row ? customerSummary(row) : undefined;
  } else {
    const resolved = resolvePaymentCustomer(sim.sql, body.customer, sim.now());
    if ('error' in resolved) return invalid(c, resolved.error);
    customer = resolved.customer;
  }
  const threeDs = isObject(body['3ds']) ? body['3ds'] : undefined;
  const reference = str(body.reference);
  const description = str(body.description);
  const channel = str(body.processing_channel_id);
  const successUrl = str(body.success_url);
  const failureUrl = str(body.failure_url);
  const paymentIp = str(body.payment_ip);
  const row = createPayment(sim, {
    amount: typeof body.amount === 'number' ? body.amount : 0,
    currency: body.currency as string,
    capture: body.capture !== false,
    paymentType: str(body.payment_type) ?? 'Regular',
    card: source.card,
    sourceId: source.sourceId,
    ...(source.billingAddress !== undefined ? { billingAddress: source.billingAddress } : {}),
    ...(customer ? { customer } : {}),
    ...(isObject(body.metadata) ? { metadata: body.metadata } : {}),
    ...(threeDs ? { threeDs } : {}),
    ...(reference !== undefined ? { reference } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(channel !== undefined ? { processingChannelId: channel } : {}),
    ...(successUrl !== undefined ? { successUrl } : {}),
    ...(failureUrl !== undefined ? { failureUrl } : {}),
    ...(paymentIp !== undefined ? { paymentIp } : {}),
  });
  if (row.status === 'Pending') return c.json(paymentPending(row, sim.origin), 202);
  const authorization = listActions(sim.sql, row.id).find(
    (a) => a.type === 'Authorization' || a.type === 'Card Verification',
  );
  return c.json(paymentCreated(row, authorization?.id ?? null, sim.origin), 201);
});

paymentsRoutes.get('/payments', (c) => {
  const sim = c.var.sim;
  const query = new URL(c.req.url).searchParams;
  const page = parsePage(query, { defaultLimit: 10, maxLimit: 100 });
  if (Array.isArray(page)) return invalid(c, ...page);
  const reference = query.get('reference');
  const where = reference !== null ? 'WHERE reference = ?' : '';
  const args = reference !== null ? [reference] : [];
  const total = sim.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM payments ${where}`, ...args).one().n;
  const rows = sim.sql
    .exec<PaymentRow>(
      `SELECT * FROM payments ${where} ORDER BY rowid DESC LIMIT ? OFFSET ?`,
      ...args,
      page.limit,
      page.skip,
    )
    .toArray();
  return c.json({
    limit: page.limit,
    skip: page.skip,
    total_count: total,
    ...(reference !== null ? { reference } : {}),
    data: rows.map((r) => paymentDetails(r, listActions(sim.sql, r.id), sim.origin)),
  });
});

paymentsRoutes.get('/payments/:id', (c) => {
  const sim = c.var.sim;
  const row = getPaymentRow(sim.sql, c.req.param('id'));
  if (!row) return notFound(c);
  return c.json(paymentDetails(row, listActions(sim.sql, row.id), sim.origin));
});

paymentsRoutes.get('/payments/:id/actions', (c) => {
  const sim = c.var.sim;
  const row = getPaymentRow(sim.sql, c.req.param('id'));
  if (!row) return notFound(c);
  return c.json(listActions(sim.sql, row.id).map(actionView));
});

/** Parses `{ amount?, reference?, metadata? }` of an action request. */
function actionInput(body: JsonObject): ActionInput | string[] {
  const codes: string[] = [];
  if (body.amount !== undefined && (!Number.isSafeInteger(body.amount) || (body.amount as number) < 0)) {
    codes.push('amount_invalid');
  }
  if (body.reference !== undefined && (typeof body.reference !== 'string' || body.reference.length > 80)) {
    codes.push('reference_invalid');
  }
  if (body.metadata !== undefined && !isObject(body.metadata)) codes.push('metadata_invalid');
  if (codes.length > 0) return codes;
  return {
    ...(typeof body.amount === 'number' ? { amount: body.amount } : {}),
    ...(typeof body.reference === 'string' ? { reference: body.reference } : {}),
    ...(isObject(body.metadata) ? { metadata: body.metadata } : {}),
  };
}

type Action = (sim: SimHonoEnv['Variables']['sim'], row: PaymentRow, input: ActionInput) => ActionOutcome;

async function runAction(c: Context<SimHonoEnv>, action: Action, status: 201 | 202): Promise<Response> {
  const sim = c.var.sim;
  // The body is read first: no await may separate reading the payment from changing it.
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const row = getPaymentRow(sim.sql, c.req.param('id') ?? '');
  if (!row) return notFound(c);
  const input = actionInput(body);
  if (Array.isArray(input)) return invalid(c, ...input);
  const outcome = action(sim, row, input);
  if (!outcome.ok) return ckoError(c, outcome.status, outcome.errorType, outcome.codes);
  const links = { payment: { href: `${sim.origin}/payments/${row.id}` } };
  if (status === 202) {
    return c.json(
      {
        action_id: outcome.actionId,
        ...(input.reference ? { reference: input.reference } : {}),
        _links: links,
      },
      202,
    );
  }
  const after = outcome.row;
  return c.json(
    {
      action_id: outcome.actionId,
      amount: input.amount,
      currency: after.currency,
      approved: true,
      status: after.status,
      response_code: '10000',
      response_summary: 'Approved',
      ...(after.expires_on !== null ? { expires_on: new Date(after.expires_on).toISOString() } : {}),
      balances: balancesOf(after),
      processed_on: new Date(sim.now()).toISOString(),
      ...(input.reference ? { reference: input.reference } : {}),
      processing: { acquirer_transaction_id: outcome.actionId.slice(4, 16) },
      _links: { self: links.payment, actions: { href: `${sim.origin}/payments/${row.id}/actions` } },
    },
    201,
  );
}

paymentsRoutes.post('/payments/:id/captures', (c) => runAction(c, capture, 202));
paymentsRoutes.post('/payments/:id/refunds', (c) => runAction(c, refund, 202));
paymentsRoutes.post('/payments/:id/voids', (c) => runAction(c, voidPayment, 202));
paymentsRoutes.post('/payments/:id/authorizations', (c) => runAction(c, incrementAuthorization, 201));
