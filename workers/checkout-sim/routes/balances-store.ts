/**
 * Balances follow what was captured, refunded and transferred: for an entity and currency,
 * available = Σ(captured − refunded) of its payments − transfers out + transfers in (rejected ones
 * excluded). The simulator settles instantly, so nothing is pending, payable or held as collateral.
 */
export function initTransfersSchema(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS transfers (
    id TEXT PRIMARY KEY, reference TEXT, transfer_type TEXT NOT NULL, source_entity TEXT NOT NULL,
    destination_entity TEXT NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL,
    reason_codes TEXT NOT NULL, created_at INTEGER NOT NULL)`);
}

export function available(sql: SqlStorage, entity: string, currency: string): number {
  return sql
    .exec<{ n: number }>(
      `SELECT
        (SELECT COALESCE(SUM(captured - refunded), 0) FROM payments WHERE entity_id = ?1 AND currency = ?2)
      - (SELECT COALESCE(SUM(amount), 0) FROM transfers WHERE source_entity = ?1 AND currency = ?2 AND status != 'rejected')
      + (SELECT COALESCE(SUM(amount), 0) FROM transfers WHERE destination_entity = ?1 AND currency = ?2 AND status != 'rejected')
      AS n`,
      entity,
      currency,
    )
    .one().n;
}

/** Currencies the entity has any activity in, sorted. */
export function currenciesOf(sql: SqlStorage, entity: string): string[] {
  return sql
    .exec<{ currency: string }>(
      `SELECT currency FROM payments WHERE entity_id = ?1
       UNION SELECT currency FROM transfers WHERE (source_entity = ?1 OR destination_entity = ?1) AND status != 'rejected'
       ORDER BY currency`,
      entity,
    )
    .toArray()
    .map((r) => r.currency);
}
