import { Hono } from 'hono';
import { CURRENCY, isObject, iso, jsonBody, str } from '../lib/body';
import type { SimHonoEnv } from '../lib/context';
import { invalid, notFound } from '../lib/errors';
import { newId } from '../lib/ids';
import { available, currenciesOf } from './balances-store';

/**
 * Transfers between entities (facts §4.10): 201 `{ id, status: "pending" }`; the simulator settles at
 * once, so `GET` shows `completed` — or `rejected` (`insufficient_funds`) when the source entity's
 * available balance in that currency does not cover it.
 */
export const transfersRoutes = new Hono<SimHonoEnv>();

export const ENTITY_ID = /^ent_[a-z0-9]{26}$/;
const TRANSFER_TYPES = new Set(['commission', 'promotion', 'refund']);

type TransferRow = {
  id: string;
  reference: string | null;
  transfer_type: string;
  source_entity: string;
  destination_entity: string;
  amount: number;
  currency: string;
  status: string;
  reason_codes: string;
  created_at: number;
};

transfersRoutes.post('/transfers', async (c) => {
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const sim = c.var.sim;
  const codes: string[] = [];
  if (body.transfer_type === undefined) codes.push('transfer_type_required');
  else if (!TRANSFER_TYPES.has(String(body.transfer_type))) codes.push('transfer_type_invalid');
  if (body.reference !== undefined && (typeof body.reference !== 'string' || body.reference.length > 50)) {
    codes.push('reference_invalid');
  }
  const source = isObject(body.source) ? body.source : null;
  const destination = isObject(body.destination) ? body.destination : null;
  if (!source) codes.push('source_required');
  else {
    if (typeof source.id !== 'string' || !ENTITY_ID.test(source.id)) codes.push('source_entity_id_invalid');
    if (source.amount === undefined) codes.push('amount_required');
    else if (!Number.isSafeInteger(source.amount) || (source.amount as number) <= 0)
      codes.push('amount_invalid');
    if (
      source.currency !== undefined &&
      (typeof source.currency !== 'string' || !CURRENCY.test(source.currency))
    ) {
      codes.push('currency_invalid');
    }
  }
  if (!destination) codes.push('destination_required');
  else if (
    typeof destination.id !== 'string' ||
    !ENTITY_ID.test(destination.id) ||
    destination.id === source?.id
  ) {
    codes.push('destination_entity_id_invalid');
  }
  if (codes.length > 0 || !source || !destination) return invalid(c, ...codes);
  const from = source.id as string;
  const amount = source.amount as number;
  // Without a currency, the transfer draws on the source's largest balance (GBP when it has none).
  const currency =
    str(source.currency) ??
    currenciesOf(sim.sql, from).sort(
      (a, b) => available(sim.sql, from, b) - available(sim.sql, from, a),
    )[0] ??
    'GBP';
  const funded = available(sim.sql, from, currency) >= amount;
  const id = newId('tra');
  sim.sql.exec(
    `INSERT INTO transfers (id, reference, transfer_type, source_entity, destination_entity, amount, currency, status, reason_codes, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    id,
    str(body.reference) ?? null,
    body.transfer_type as string,
    from,
    destination.id as string,
    amount,
    currency,
    funded ? 'completed' : 'rejected',
    JSON.stringify(funded ? [] : ['insufficient_funds']),
    sim.now(),
  );
  return c.json({ id, status: 'pending', _links: { self: { href: `${sim.origin}/transfers/${id}` } } }, 201);
});

transfersRoutes.get('/transfers/:id', (c) => {
  const sim = c.var.sim;
  const row = sim.sql
    .exec<TransferRow>('SELECT * FROM transfers WHERE id = ?', c.req.param('id'))
    .toArray()[0];
  if (!row) return notFound(c);
  return c.json({
    id: row.id,
    ...(row.reference !== null ? { reference: row.reference } : {}),
    status: row.status,
    transfer_type: row.transfer_type,
    requested_on: iso(row.created_at),
    reason_codes: JSON.parse(row.reason_codes) as string[],
    source: { entity_id: row.source_entity, amount: row.amount, currency: row.currency },
    destination: { entity_id: row.destination_entity },
    _links: { self: { href: `${sim.origin}/transfers/${row.id}` } },
  });
});
