/** Shapes exchanged with the WebhookInbox Durable Object over RPC. */

export type EventStatus = 'pending' | 'retrying' | 'processed' | 'dead_lettered';
export type RunStatus = 'pending' | 'running' | 'done' | 'dead' | 'skipped';

/** A verified, validated delivery, as the receiver hands it to the subject's inbox. */
export interface RecordInput {
  id: string;
  type: string;
  created_on: string;
  subject: string;
  subject_kind: 'payment' | 'dispute' | 'other';
  known: boolean;
  /** The body exactly as delivered. */
  body: string;
  /** The validated `data`, as JSON text. */
  data: string;
  request_id: string;
}

export interface RecordResult {
  /** False when this was a repeat delivery of an event already recorded. */
  first: boolean;
  deliveries: number;
  status: EventStatus;
}

/** One event's row in the listing index. */
export interface EventSummary {
  id: string;
  subject: string;
  type: string;
  status: EventStatus;
  created_on: string;
  received_at: number;
  deliveries: number;
  replays: number;
  /** Handlers that exhausted their attempts (dead letters), comma-separated. */
  dead_handlers: string;
}

export interface HandlerRun {
  handler: string;
  replay: number;
  status: RunStatus;
  attempts: number;
  next_attempt_at: string | null;
  last_error: string | null;
  finished_at: string | null;
}

export interface EventDetail extends EventSummary {
  known: boolean;
  /**
   * The delivered envelope, redacted, as JSON text (a recursive JSON type is too deep for RPC typing;
   * the admin route parses it).
   */
  event: string;
  runs: HandlerRun[];
}

export interface ListFilter {
  type?: string;
  subject?: string;
  status?: string;
  limit: number;
  skip: number;
}

export interface Page<T> {
  total_count: number;
  limit: number;
  skip: number;
  data: T[];
}

export interface QuarantineRecord {
  request_id: string;
  reason: string;
  codes: string[];
  /** The body as text (a placeholder when it is not UTF-8); only its first 16 KiB are kept. */
  body: string;
  /** Bytes received. */
  size: number;
  /** SHA-256 (hex) of the bytes received: one entry per distinct body, however often it is redelivered. */
  digest: string;
}

export interface QuarantineEntry {
  id: number;
  request_id: string;
  received_at: string;
  /** The latest delivery of this body. */
  last_received_at: string;
  /** How many times this exact body was delivered (Checkout.com redelivers what it believes failed). */
  deliveries: number;
  reason: string;
  codes: string[];
  /** Bytes received. */
  size: number;
  /** The first bytes of the body, redacted. */
  preview: string;
}
