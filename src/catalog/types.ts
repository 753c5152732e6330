/** The seven areas of the API guide, in the guide's order. */
export type Area =
  | 'payments'
  | 'sessions-links'
  | 'tokens-instruments'
  | 'customers'
  | 'disputes'
  | 'payouts-balances'
  | 'workflows';

export type Access = 'read' | 'write';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The scopes the guide names for its 32 methods. */
export type Scope =
  | 'gateway:payment'
  | 'gateway:payment-details'
  | 'gateway:payment-captures'
  | 'gateway:payment-refunds'
  | 'gateway:payment-voids'
  | 'gateway:payment-authorizations'
  | 'vault:instruments'
  | 'disputes:view'
  | 'disputes:accept'
  | 'disputes:provide-evidence'
  | 'fx';

/**
 * The guide's permission column. The workflows rows say "not stated on the public reference", and
 * the catalog keeps that distinction rather than inventing a scope.
 */
export type Permission = { kind: 'scope'; scope: Scope } | { kind: 'not-stated' };

/** The ten webhook event types of the guide. */
export type EventType =
  | 'payment_approved'
  | 'payment_declined'
  | 'payment_captured'
  | 'payment_refunded'
  | 'payment_voided'
  | 'card_verified'
  | 'dispute_received'
  | 'dispute_evidence_required'
  | 'dispute_won'
  | 'dispute_lost';

/**
 * Which Checkout.com host serves a method. Transfers and balances have their own fixed hosts on the
 * real API (facts §1); everything else is served from the account's API host.
 */
export type ApiHost = 'api' | 'transfers' | 'balances';

export interface CatalogEntry {
  /** Stable camelCase name, used for typed client methods, MCP tool names and audit records. */
  readonly name: string;
  readonly method: HttpMethod;
  /** Path template with `{id}` placeholders, exactly as the guide writes it. */
  readonly path: string;
  readonly area: Area;
  readonly access: Access;
  readonly permission: Permission;
  /** The webhook event this method emits, per the guide (null: none). */
  readonly event: EventType | null;
  /** True for writes that move (or commit to move) real funds. Agent amount limits apply to these. */
  readonly movesMoney: boolean;
  /** The guide's one-line description. */
  readonly description: string;
  /** The guide's "acts on" object. */
  readonly actsOn: string;
  readonly host: ApiHost;
}

export interface EventDefinition {
  readonly type: EventType;
  readonly signals: string;
  /** The guide's "triggered by" column: catalog paths, or "In-app only". */
  readonly triggeredBy: readonly string[];
  /** What the event is about: a payment or a dispute. */
  readonly subject: 'payment' | 'dispute';
}

export interface AreaDefinition {
  readonly id: Area;
  readonly title: string;
  readonly summary: string;
}
