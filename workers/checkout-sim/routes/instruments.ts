import { Hono } from 'hono';
import { isObject, jsonBody } from '../lib/body';
import type { SimHonoEnv } from '../lib/context';
import { invalid, notFound } from '../lib/errors';
import { consumeToken } from './tokens-store';
import {
  findCustomer,
  getInstrumentRow,
  insertCustomer,
  insertInstrument,
  instrumentView,
} from './vault-store';

/** Stored instruments from card tokens (facts §4.8): create 201 `src_...`, get, delete 204. */
export const instrumentsRoutes = new Hono<SimHonoEnv>();

instrumentsRoutes.post('/instruments', async (c) => {
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const sim = c.var.sim;
  const codes: string[] = [];
  if (body.type === undefined) codes.push('instrument_type_required');
  else if (body.type !== 'token') codes.push('instrument_type_invalid');
  if (body.token === undefined) codes.push('token_required');
  const customer = body.customer;
  let customerId: string | null = null;
  if (customer !== undefined) {
    if (!isObject(customer)) codes.push('customer_invalid');
    else if (typeof customer.id === 'string') {
      const row = findCustomer(sim.sql, customer.id);
      if (!row) codes.push('customer_not_found');
      else customerId = row.id;
    } else if (typeof customer.email !== 'string' || !customer.email.includes('@')) {
      codes.push('customer_email_invalid');
    }
  }
  if (body.account_holder !== undefined && !isObject(body.account_holder))
    codes.push('account_holder_invalid');
  if (codes.length > 0) return invalid(c, ...codes);
  const used = consumeToken(sim.sql, body.token, sim.now());
  if ('error' in used) return invalid(c, used.error);
  if (isObject(customer) && customerId === null && typeof customer.email === 'string') {
    const existing = findCustomer(sim.sql, customer.email);
    customerId =
      existing?.id ??
      insertCustomer(
        sim.sql,
        { email: customer.email, ...(typeof customer.name === 'string' ? { name: customer.name } : {}) },
        sim.now(),
      );
  }
  const id = insertInstrument(sim.sql, used.card, customerId, body.account_holder, sim.now());
  if (customerId && isObject(customer)) {
    const owner = findCustomer(sim.sql, customerId);
    if (customer.default === true || (owner && owner.default_instrument === null)) {
      sim.sql.exec('UPDATE customers SET default_instrument = ? WHERE id = ?', id, customerId);
    }
  }
  const row = getInstrumentRow(sim.sql, id);
  return c.json(row ? instrumentView(sim.sql, row) : { id }, 201);
});

instrumentsRoutes.get('/instruments/:id', (c) => {
  const sim = c.var.sim;
  const row = getInstrumentRow(sim.sql, c.req.param('id'));
  if (!row) return notFound(c);
  return c.json(instrumentView(sim.sql, row));
});

instrumentsRoutes.delete('/instruments/:id', (c) => {
  const sim = c.var.sim;
  const row = getInstrumentRow(sim.sql, c.req.param('id'));
  if (!row) return notFound(c);
  sim.sql.exec('DELETE FROM instruments WHERE id = ?', row.id);
  sim.sql.exec('UPDATE customers SET default_instrument = NULL WHERE default_instrument = ?', row.id);
  return c.body(null, 204);
});
