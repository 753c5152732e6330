/**
 * SQLite tables of the events module (docs/storage.md describes them). Created lazily and idempotently,
 * because the simulator's one Durable Object calls this from its constructor on every wake-up.
 *
 * - `sim_workflows`: one row per workflow; conditions and actions (with their `wfc_`/`wfa_` ids) as JSON.
 * - `sim_events`: every emitted event, with the exact envelope bytes that are delivered and signed.
 * - `sim_deliveries`: one row per (event, workflow action) delivery, its state and attempt history.
 * - `sim_disputes`: disputes raised on payments, their staged evidence and outcome.
 * - `sim_webhook_settings`: the webhook fault knobs, as JSON values by key.
 */
export function initEventsSchema(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS sim_workflows (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    active INTEGER NOT NULL,
    conditions TEXT NOT NULL,
    actions TEXT NOT NULL
  )`);
  sql.exec(`CREATE TABLE IF NOT EXISTS sim_events (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    body TEXT NOT NULL
  )`);
  sql.exec('CREATE INDEX IF NOT EXISTS sim_events_subject ON sim_events (subject_id, seq)');
  // `seq` is assigned as MAX(seq) + 1: the index keeps that lookup logarithmic under load.
  sql.exec('CREATE INDEX IF NOT EXISTS sim_events_seq ON sim_events (seq)');
  sql.exec(`CREATE TABLE IF NOT EXISTS sim_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    action_id TEXT NOT NULL,
    url TEXT NOT NULL,
    headers TEXT NOT NULL,
    signature_key TEXT,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL,
    order_key REAL NOT NULL DEFAULT 0,
    claimed_at REAL,
    kind TEXT NOT NULL,
    created_at REAL NOT NULL,
    delivered_at REAL,
    history TEXT NOT NULL DEFAULT '[]'
  )`);
  sql.exec('CREATE INDEX IF NOT EXISTS sim_deliveries_due ON sim_deliveries (status, next_attempt_at)');
  sql.exec('CREATE INDEX IF NOT EXISTS sim_deliveries_event ON sim_deliveries (event_id)');
  sql.exec(`CREATE TABLE IF NOT EXISTS sim_disputes (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    payment_id TEXT NOT NULL,
    status TEXT NOT NULL,
    received_at REAL NOT NULL,
    body TEXT NOT NULL,
    evidence TEXT NOT NULL DEFAULT '{}'
  )`);
  sql.exec('CREATE INDEX IF NOT EXISTS sim_disputes_payment ON sim_disputes (payment_id)');
  sql.exec('CREATE INDEX IF NOT EXISTS sim_disputes_seq ON sim_disputes (seq)');
  sql.exec(`CREATE TABLE IF NOT EXISTS sim_webhook_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  )`);
}
