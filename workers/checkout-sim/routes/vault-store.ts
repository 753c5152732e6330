/** Customers and stored instruments (the vault). Card numbers stay inside the simulator. */
import type { JsonObject } from '../lib/body';
import { fromJson, toJson } from '../lib/body';
import type { CardInput, CardSummary } from '../lib/cards';
import { summarizeCard } from '../lib/cards';
import { newId } from '../lib/ids';

export type CustomerRow = {
  id: string;
  email: string;
  name: string | null;
  phone: string | null;
  metadata: string | null;
  default_instrument: string | null;
  created_at: number;
};

export type InstrumentRow = {
  id: string;
  number: string;
  expiry_month: number;
  expiry_year: number;
  name: string | null;
  customer_id: string | null;
  account_holder: string | null;
  created_at: number;
};

export function initVaultSchema(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS customers (
    id TEXT PRIMARY KEY, email TEXT NOT NULL, name TEXT, phone TEXT, metadata TEXT, default_instrument TEXT,
    created_at INTEGER NOT NULL)`);
  sql.exec('CREATE UNIQUE INDEX IF NOT EXISTS customers_email ON customers (email)');
  sql.exec(`CREATE TABLE IF NOT EXISTS instruments (
    id TEXT PRIMARY KEY, number TEXT NOT NULL, expiry_month INTEGER NOT NULL, expiry_year INTEGER NOT NULL,
    name TEXT, customer_id TEXT, account_holder TEXT, created_at INTEGER NOT NULL)`);
}

/** By id (`cus_...`) or by email, as `GET /customers/{id}` allows. */
export function findCustomer(sql: SqlStorage, idOrEmail: string): CustomerRow | null {
  const column = idOrEmail.startsWith('cus_') ? 'id' : 'email';
  const value = column === 'email' ? idOrEmail.toLowerCase() : idOrEmail;
  return sql.exec<CustomerRow>(`SELECT * FROM customers WHERE ${column} = ?`, value).toArray()[0] ?? null;
}

export function insertCustomer(
  sql: SqlStorage,
  fields: { email: string; name?: string; phone?: unknown; metadata?: unknown; default?: string },
  nowMs: number,
): string {
  const id = newId('cus');
  sql.exec(
    'INSERT INTO customers (id, email, name, phone, metadata, default_instrument, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    id,
    fields.email.toLowerCase(),
    fields.name ?? null,
    toJson(fields.phone),
    toJson(fields.metadata),
    fields.default ?? null,
    nowMs,
  );
  return id;
}

/** The `customer` object a payment shows: `{ id, email?, name? }`. */
export function customerSummary(row: CustomerRow): JsonObject {
  return { id: row.id, email: row.email, ...(row.name ? { name: row.name } : {}) };
}

/**
 * Resolves a payment's `customer` field: an existing id, or an email that is found or (like the real API)
 * creates a customer. Returns an error code when an id is unknown.
 */
export function resolvePaymentCustomer(
  sql: SqlStorage,
  input: unknown,
  nowMs: number,
): { customer: JsonObject | undefined } | { error: string } {
  if (input === undefined) return { customer: undefined };
  if (typeof input !== 'object' || input === null) return { error: 'customer_invalid' };
  const c = input as JsonObject;
  if (typeof c.id === 'string') {
    const row = findCustomer(sql, c.id);
    return row ? { customer: customerSummary(row) } : { error: 'customer_not_found' };
  }
  if (typeof c.email === 'string' && c.email.includes('@')) {
    const found = findCustomer(sql, c.email);
    if (found) return { customer: customerSummary(found) };
    const name = typeof c.name === 'string' ? c.name : undefined;
    const id = insertCustomer(sql, { email: c.email, ...(name ? { name } : {}) }, nowMs);
    return { customer: { id, email: c.email.toLowerCase(), ...(name ? { name } : {}) } };
  }
  return { error: 'customer_email_invalid' };
}

export function getInstrumentRow(sql: SqlStorage, id: string): InstrumentRow | null {
  return sql.exec<InstrumentRow>('SELECT * FROM instruments WHERE id = ?', id).toArray()[0] ?? null;
}

export function insertInstrument(
  sql: SqlStorage,
  card: CardInput,
  customerId: string | null,
  accountHolder: unknown,
  nowMs: number,
): string {
  const id = newId('src');
  sql.exec(
    'INSERT INTO instruments (id, number, expiry_month, expiry_year, name, customer_id, account_holder, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    id,
    card.number,
    card.expiry_month,
    card.expiry_year,
    card.name ?? null,
    customerId,
    toJson(accountHolder),
    nowMs,
  );
  return id;
}

export function instrumentCard(row: InstrumentRow): CardInput {
  return {
    number: row.number,
    expiry_month: row.expiry_month,
    expiry_year: row.expiry_year,
    ...(row.name ? { name: row.name } : {}),
  };
}

export function instrumentSummary(row: InstrumentRow): CardSummary {
  return summarizeCard(row.number, row.expiry_month, row.expiry_year, row.name ?? undefined);
}

/** An instrument as `GET /instruments/{id}` shows it. */
export function instrumentView(sql: SqlStorage, row: InstrumentRow): JsonObject {
  const { name: _name, ...card } = instrumentSummary(row);
  const customer = row.customer_id ? findCustomer(sql, row.customer_id) : null;
  return {
    type: 'card',
    id: row.id,
    ...card,
    ...(row.account_holder ? { account_holder: fromJson<JsonObject>(row.account_holder) } : {}),
    ...(customer
      ? { customer: { ...customerSummary(customer), default: customer.default_instrument === row.id } }
      : {}),
  };
}

export function instrumentsOf(sql: SqlStorage, customerId: string): InstrumentRow[] {
  return sql
    .exec<InstrumentRow>('SELECT * FROM instruments WHERE customer_id = ? ORDER BY rowid', customerId)
    .toArray();
}
