import type { CardInput } from '../lib/cards';

/** Card tokens: single use, 15 minutes (facts §4.3). The number is kept only inside the simulator. */
export const TOKEN_TTL_MS = 15 * 60 * 1000;

export function initTokensSchema(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS card_tokens (
    token TEXT PRIMARY KEY, number TEXT NOT NULL, expiry_month INTEGER NOT NULL, expiry_year INTEGER NOT NULL,
    name TEXT, billing_address TEXT, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0)`);
}

export function storeToken(
  sql: SqlStorage,
  token: string,
  card: CardInput,
  billing: unknown,
  nowMs: number,
): number {
  const expiresAt = nowMs + TOKEN_TTL_MS;
  sql.exec(
    'INSERT INTO card_tokens (token, number, expiry_month, expiry_year, name, billing_address, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    token,
    card.number,
    card.expiry_month,
    card.expiry_year,
    card.name ?? null,
    billing === undefined ? null : JSON.stringify(billing),
    nowMs,
    expiresAt,
  );
  return expiresAt;
}

export type TokenUse =
  | { card: CardInput; billing: unknown }
  | { error: 'token_invalid' | 'token_expired' | 'token_used' };

/** Spends a token: it works once, within 15 minutes. */
export function consumeToken(sql: SqlStorage, token: unknown, nowMs: number): TokenUse {
  if (typeof token !== 'string' || !token.startsWith('tok_')) return { error: 'token_invalid' };
  const row = sql
    .exec<{
      number: string;
      expiry_month: number;
      expiry_year: number;
      name: string | null;
      billing_address: string | null;
      expires_at: number;
      used: number;
    }>(
      'SELECT number, expiry_month, expiry_year, name, billing_address, expires_at, used FROM card_tokens WHERE token = ?',
      token,
    )
    .toArray()[0];
  if (!row) return { error: 'token_invalid' };
  if (row.used) return { error: 'token_used' };
  if (nowMs > row.expires_at) return { error: 'token_expired' };
  sql.exec('UPDATE card_tokens SET used = 1 WHERE token = ?', token);
  return {
    card: {
      number: row.number,
      expiry_month: row.expiry_month,
      expiry_year: row.expiry_year,
      ...(row.name ? { name: row.name } : {}),
    },
    billing: row.billing_address ? JSON.parse(row.billing_address) : undefined,
  };
}
