import { Hono } from 'hono';
import type { JsonObject } from '../lib/body';
import { fromJson, isObject, jsonBody, toJson } from '../lib/body';
import type { SimHonoEnv } from '../lib/context';
import { ckoError, invalid, notFound } from '../lib/errors';
import { findCustomer, getInstrumentRow, insertCustomer, instrumentsOf, instrumentView } from './vault-store';

/** Customers (facts §4.7): create 201 `{ id }`, get by id or email, PATCH/DELETE 204. */
export const customersRoutes = new Hono<SimHonoEnv>();

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function customerCodes(body: JsonObject, emailRequired: boolean): string[] {
  const codes: string[] = [];
  if (body.email === undefined) {
    if (emailRequired) codes.push('customer_email_required');
  } else if (typeof body.email !== 'string' || body.email.length > 255 || !EMAIL.test(body.email)) {
    codes.push('customer_email_invalid');
  }
  if (body.name !== undefined && (typeof body.name !== 'string' || body.name.length > 255))
    codes.push('customer_name_invalid');
  if (body.phone !== undefined) {
    const phone = body.phone;
    if (!isObject(phone) || typeof phone.number !== 'string' || !/^[\d\s+()-]{6,25}$/.test(phone.number)) {
      codes.push('phone_number_invalid');
    }
  }
  if (body.metadata !== undefined && !isObject(body.metadata)) codes.push('metadata_invalid');
  if (body.default !== undefined && typeof body.default !== 'string')
    codes.push('default_instrument_invalid');
  if (body.instruments !== undefined && !Array.isArray(body.instruments)) codes.push('instruments_invalid');
  return codes;
}

customersRoutes.post('/customers', async (c) => {
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const sim = c.var.sim;
  const codes = customerCodes(body, true);
  if (typeof body.default === 'string' && !getInstrumentRow(sim.sql, body.default))
    codes.push('default_instrument_invalid');
  if (codes.length > 0) return invalid(c, ...codes);
  const email = body.email as string;
  if (findCustomer(sim.sql, email)) return ckoError(c, 409, 'conflict', ['customer_email_already_exists']);
  const id = insertCustomer(
    sim.sql,
    {
      email,
      ...(typeof body.name === 'string' ? { name: body.name } : {}),
      ...(body.phone !== undefined ? { phone: body.phone } : {}),
      ...(body.metadata !== undefined ? { metadata: body.metadata } : {}),
      ...(typeof body.default === 'string' ? { default: body.default } : {}),
    },
    sim.now(),
  );
  const attach = [...(Array.isArray(body.instruments) ? body.instruments : []), body.default];
  for (const instrument of attach) {
    if (typeof instrument === 'string')
      sim.sql.exec('UPDATE instruments SET customer_id = ? WHERE id = ?', id, instrument);
  }
  return c.json({ id }, 201);
});

customersRoutes.get('/customers/:id', (c) => {
  const sim = c.var.sim;
  const row = findCustomer(sim.sql, c.req.param('id'));
  if (!row) return notFound(c);
  return c.json({
    id: row.id,
    email: row.email,
    ...(row.name ? { name: row.name } : {}),
    ...(row.phone ? { phone: fromJson<JsonObject>(row.phone) } : {}),
    ...(row.metadata ? { metadata: fromJson<JsonObject>(row.metadata) } : {}),
    ...(row.default_instrument ? { default: row.default_instrument } : {}),
    instruments: instrumentsOf(sim.sql, row.id).map((i) => instrumentView(sim.sql, i)),
  });
});

customersRoutes.patch('/customers/:id', async (c) => {
  const sim = c.var.sim;
  // The body is read first: no await may separate reading the customer from updating it.
  const body = await jsonBody(c);
  if (body instanceof Response) return body;
  const row = findCustomer(sim.sql, c.req.param('id'));
  if (!row) return notFound(c);
  const codes = customerCodes(body, false);
  if (typeof body.default === 'string' && !getInstrumentRow(sim.sql, body.default))
    codes.push('default_instrument_invalid');
  if (codes.length > 0) return invalid(c, ...codes);
  if (typeof body.email === 'string') {
    const other = findCustomer(sim.sql, body.email);
    if (other && other.id !== row.id) return ckoError(c, 409, 'conflict', ['customer_email_already_exists']);
  }
  sim.sql.exec(
    'UPDATE customers SET email = ?, name = ?, phone = ?, metadata = ?, default_instrument = ? WHERE id = ?',
    typeof body.email === 'string' ? body.email.toLowerCase() : row.email,
    typeof body.name === 'string' ? body.name : row.name,
    body.phone !== undefined ? toJson(body.phone) : row.phone,
    body.metadata !== undefined ? toJson(body.metadata) : row.metadata,
    typeof body.default === 'string' ? body.default : row.default_instrument,
    row.id,
  );
  if (typeof body.default === 'string') {
    sim.sql.exec('UPDATE instruments SET customer_id = ? WHERE id = ?', row.id, body.default);
  }
  return c.body(null, 204);
});

customersRoutes.delete('/customers/:id', (c) => {
  const sim = c.var.sim;
  const row = findCustomer(sim.sql, c.req.param('id'));
  if (!row) return notFound(c);
  sim.sql.exec('DELETE FROM customers WHERE id = ?', row.id);
  sim.sql.exec('UPDATE instruments SET customer_id = NULL WHERE customer_id = ?', row.id);
  return c.body(null, 204);
});
