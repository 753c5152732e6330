import type { Access, Area, CatalogEntry } from '../../catalog';
import type { Grants } from './types';

/**
 * Object scope (docs/agents.md, "Object scope"): per area, an agent may act on every object of the account
 * (`any`) or only on the objects it created through Bollard (`own`). Pure: which object a catalog call
 * names, what a creating call's answer created, and the defaults. The ownership records themselves live
 * in the agent's object (objects/agent/ownership.ts).
 */
export type ObjectScope = 'own' | 'any';

/** Per area; an area left out takes `defaultScope` of its grant. */
export type Scopes = Partial<Record<Area, ObjectScope>>;

/** The kinds of object an agent can own. A dispute is owned when its payment is. */
export type OwnedKind =
  | 'payment'
  | 'payment_session'
  | 'payment_link'
  | 'instrument'
  | 'customer'
  | 'transfer'
  | 'workflow'
  | 'dispute';

/**
 * The object kind behind each path's first segment; null for what no one creates through the API and
 * owns afterwards: tokens (single use, never named again) and entity balances (the merchant's entities).
 */
const KIND_BY_SEGMENT: Readonly<Record<string, OwnedKind | null>> = {
  payments: 'payment',
  'payment-sessions': 'payment_session',
  'payment-links': 'payment_link',
  tokens: null,
  instruments: 'instrument',
  customers: 'customer',
  disputes: 'dispute',
  transfers: 'transfer',
  balances: null,
  workflows: 'workflow',
};

/** What a catalog call does to objects, derived from its method and path. */
export type ObjectRule =
  /** `POST /payments`, `POST /customers`, …: creates one object, which the agent then owns. */
  | { kind: 'creates'; object: OwnedKind }
  /** `/payments/{id}/…`, `/customers/{id}`, …: acts on (or reads) the object the path names. */
  | { kind: 'acts_on'; object: OwnedKind }
  /** `GET /payments`, `GET /disputes`, `GET /workflows`: lists objects of the whole account. */
  | { kind: 'lists'; object: OwnedKind }
  /** Tokens and balances: no object anyone owns; the grant alone decides. */
  | { kind: 'unscoped' };

/** The rule of a catalog entry; every row of the catalog has one (tested by walking the catalog). */
export function objectRule(entry: CatalogEntry): ObjectRule {
  const segments = entry.path.split('/').filter(Boolean);
  const first = segments[0] ?? '';
  if (!(first in KIND_BY_SEGMENT)) throw new TypeError(`no object kind for ${entry.path}`);
  const object = KIND_BY_SEGMENT[first] ?? null;
  if (object === null) return { kind: 'unscoped' };
  if (entry.path.includes('{id}')) return { kind: 'acts_on', object };
  return entry.method === 'GET' ? { kind: 'lists', object } : { kind: 'creates', object };
}

/**
 * The scope an area gets when the operator names none: `own` for a write grant (an agent that can move
 * money or change records acts only on what it made, unless widened), `any` for a read grant (it can
 * change nothing, and the usual read-only agents — support lookups, reconciliation — read objects made
 * elsewhere: by the storefront, the dashboard or other agents).
 */
export function defaultScope(access: Access | undefined): ObjectScope {
  return access === 'write' ? 'own' : 'any';
}

/**
 * The scope in force for an area. `stored` is null for an agent created before object scope existed:
 * it keeps the account-wide access it was created with (`any`) until an operator sets a scope.
 */
export function scopeOf(stored: Scopes | null, grants: Grants, area: Area): ObjectScope {
  if (stored === null) return 'any';
  return stored[area] ?? defaultScope(grants[area]);
}

/** The effective scope of every granted area, as the admin API shows it. */
export function scopeView(stored: Scopes | null, grants: Grants): Scopes {
  const out: Scopes = {};
  for (const area of Object.keys(grants) as Area[]) out[area] = scopeOf(stored, grants, area);
  return out;
}

/** What identifies a creation whose answer was lost (504), for a later status read to recognise it. */
export interface CreationFingerprint {
  reference: string | null;
  amount: number | null;
  currency: string | null;
}

/** What the Worker tells the agent's object about the objects a call names, besides the path's id. */
export interface ObjectFacts {
  /** A creating call's fingerprint (never the body: it can hold card data). */
  fingerprint: CreationFingerprint | null;
  /** `listDisputes?payment_id=`: a list narrowed to one payment's disputes. */
  paymentId: string | null;
}

/** An object a creating call's answer named. */
export interface CreatedObject {
  kind: OwnedKind;
  id: string;
  /** A payment's status in that answer (`Authorized`, `Captured`, `Pending`, `Declined`, …), else null. */
  status: string | null;
}

/** Object ids as Checkout.com issues them (`pay_…`, `cus_…`, `src_…`, `dsp_…`, `wf_…`, …). */
const OBJECT_ID = /^[a-z]{2,4}_[A-Za-z0-9]{1,64}$/;

export function isObjectId(value: unknown): value is string {
  return typeof value === 'string' && OBJECT_ID.test(value);
}

function record(value: unknown): Record<string, unknown> | null {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

function text(value: unknown, max: number): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= max ? value : null;
}

function amountOf(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

function currencyOf(value: unknown): string | null {
  return typeof value === 'string' && /^[A-Z]{3}$/.test(value) ? value : null;
}

/** The reference, amount and currency an object (or a request to create one) states. */
function fingerprintOf(body: unknown): CreationFingerprint {
  const b = record(body);
  const source = record(b?.source);
  return {
    reference: text(b?.reference, 100),
    amount: amountOf(b?.amount) ?? amountOf(source?.amount),
    currency: currencyOf(b?.currency) ?? currencyOf(source?.currency),
  };
}

/** The facts `begin` needs about a call's objects, taken from its body and query in the Worker. */
export function objectFacts(
  entry: CatalogEntry,
  body: unknown,
  query: Readonly<Record<string, string>> | undefined,
): ObjectFacts {
  const rule = objectRule(entry);
  const paymentId = entry.name === 'listDisputes' ? (query?.payment_id ?? null) : null;
  return {
    fingerprint: rule.kind === 'creates' ? fingerprintOf(body) : null,
    paymentId: paymentId !== null && isObjectId(paymentId) ? paymentId : null,
  };
}

/** The object a creating call's 2xx answer names, if it names one. */
export function createdObject(entry: CatalogEntry, status: number, body: unknown): CreatedObject | null {
  const rule = objectRule(entry);
  if (rule.kind !== 'creates' || status < 200 || status >= 300) return null;
  const b = record(body);
  if (!b || !isObjectId(b.id)) return null;
  return { kind: rule.object, id: b.id, status: rule.object === 'payment' ? text(b.status, 40) : null };
}

/** Kinds whose object, read back, states the reference, amount and currency it was created with. */
const READ_BACK: Readonly<Partial<Record<OwnedKind, string>>> = {
  payment: 'getPayment',
  payment_link: 'getPaymentLink',
  transfer: 'getTransfer',
};

/** The catalog read that shows an object of this kind with its fingerprint, if there is one. */
export function statusReadFor(kind: OwnedKind): string | null {
  return READ_BACK[kind] ?? null;
}

/**
 * True when an object read back upstream is what a lost creation made: the same reference (which must be
 * given: without one nothing distinguishes the agent's payment from anyone else's), and the same amount
 * and currency where the creation stated them.
 */
export function matchesFingerprint(fp: CreationFingerprint, objectBody: unknown): boolean {
  if (fp.reference === null) return false;
  const seen = fingerprintOf(objectBody);
  return (
    seen.reference === fp.reference &&
    (fp.amount === null || seen.amount === fp.amount) &&
    (fp.currency === null || seen.currency === fp.currency)
  );
}

/** The payment a dispute read upstream (`GET /disputes/{id}`) is about. */
export function disputedPayment(disputeBody: unknown): string | null {
  const b = record(disputeBody);
  const id = b?.payment_id ?? record(b?.payment)?.id;
  return isObjectId(id) ? id : null;
}

/**
 * True when an ownership check of this call may read upstream (a dispute's payment, or an object a lost
 * creation may have made), so the Worker gives `begin` the upstream deadline as well.
 */
export function mayReadForScope(entry: CatalogEntry): boolean {
  const rule = objectRule(entry);
  return rule.kind === 'acts_on' && (rule.object === 'dispute' || statusReadFor(rule.object) !== null);
}

/** What the scope asks of one call before it may be sent. */
export type ScopeNeed =
  /** Nothing: scope `any`, or the call names no existing object (it creates one, or is unscoped). */
  | { kind: 'none' }
  /** The agent must own this object. */
  | { kind: 'owned'; object: OwnedKind; id: string }
  /** Refused whatever it owns: a list of the whole account under `own`. */
  | { kind: 'refused'; message: string };

/**
 * What an agent whose scope on the entry's area is `scope` needs for this call. Lists under `own` are
 * refused (docs/agents.md, "Lists under own"), except disputes narrowed to one payment, which are all
 * the agent's once the payment is.
 */
export function scopeNeed(
  entry: CatalogEntry,
  params: Readonly<Record<string, string>>,
  facts: ObjectFacts | undefined,
  scope: ObjectScope,
): ScopeNeed {
  if (scope === 'any') return { kind: 'none' };
  const rule = objectRule(entry);
  switch (rule.kind) {
    case 'creates':
    case 'unscoped':
      return { kind: 'none' };
    case 'acts_on':
      return { kind: 'owned', object: rule.object, id: params.id ?? '' };
    case 'lists':
      if (entry.name === 'listDisputes' && facts?.paymentId)
        return { kind: 'owned', object: 'payment', id: facts.paymentId };
      return {
        kind: 'refused',
        message:
          entry.name === 'listDisputes'
            ? `${entry.name}: this agent's scope on ${entry.area} is own, so it may list only the disputes of a payment it created (payment_id=…)`
            : `${entry.name}: this agent's scope on ${entry.area} is own, so it may not list the whole account; read its own objects by id`,
      };
  }
}
