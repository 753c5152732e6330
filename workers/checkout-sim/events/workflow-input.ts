import { SUBSCRIBABLE_EVENTS } from './event-types';

/** A workflow condition as stored (ids are `wfc_`). Only one condition of each type per workflow. */
export type WorkflowConditionInput =
  | { type: 'event'; events: Record<string, string[]> }
  | { type: 'entity'; entities: string[] }
  | { type: 'processing_channel'; processing_channels: string[] };

/** A webhook action as stored (ids are `wfa_`). */
export interface WebhookActionInput {
  type: 'webhook';
  url: string;
  headers: Record<string, string>;
  signature: { method: 'HMACSHA256'; key: string };
}

export interface WorkflowInput {
  name: string;
  active: boolean;
  conditions: WorkflowConditionInput[];
  actions: WebhookActionInput[];
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; codes: string[] };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && s.length > 0);
}

function parseCondition(raw: unknown, codes: Set<string>): WorkflowConditionInput | null {
  if (!isRecord(raw)) {
    codes.add('conditions_invalid');
    return null;
  }
  switch (raw.type) {
    case 'event': {
      const events = raw.events;
      if (!isRecord(events) || Object.keys(events).length === 0) {
        codes.add('condition_events_required');
        return null;
      }
      const out: Record<string, string[]> = {};
      for (const [group, names] of Object.entries(events)) {
        const known = SUBSCRIBABLE_EVENTS[group];
        if (!known || !isStringArray(names) || names.some((n) => !known.includes(n))) {
          codes.add('condition_events_invalid');
          return null;
        }
        out[group] = [...new Set(names)];
      }
      return { type: 'event', events: out };
    }
    case 'entity':
      if (!isStringArray(raw.entities)) {
        codes.add('condition_entities_invalid');
        return null;
      }
      return { type: 'entity', entities: raw.entities };
    case 'processing_channel':
      if (!isStringArray(raw.processing_channels)) {
        codes.add('condition_processing_channels_invalid');
        return null;
      }
      return { type: 'processing_channel', processing_channels: raw.processing_channels };
    default:
      codes.add('condition_type_invalid');
      return null;
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

function parseAction(raw: unknown, codes: Set<string>): WebhookActionInput | null {
  if (!isRecord(raw)) {
    codes.add('actions_invalid');
    return null;
  }
  if (raw.type !== 'webhook') {
    codes.add('action_type_invalid');
    return null;
  }
  let ok = true;
  if (raw.url === undefined || raw.url === '') {
    codes.add('action_url_required');
    ok = false;
  } else if (typeof raw.url !== 'string' || raw.url.length > 1024 || !isHttpUrl(raw.url)) {
    codes.add('action_url_invalid');
    ok = false;
  }
  const headers: Record<string, string> = {};
  if (raw.headers !== undefined) {
    if (!isRecord(raw.headers) || Object.values(raw.headers).some((v) => typeof v !== 'string')) {
      codes.add('action_headers_invalid');
      ok = false;
    } else {
      for (const [k, v] of Object.entries(raw.headers)) {
        // Header names must be valid tokens, or the delivery itself would throw.
        if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k)) {
          codes.add('action_headers_invalid');
          ok = false;
        }
        headers[k] = String(v);
      }
    }
  }
  const sig = raw.signature;
  let key = '';
  if (!isRecord(sig) || sig.key === undefined || sig.key === '') {
    // The real API lets the signature be omitted; the simulator insists, since an unsigned delivery
    // cannot be verified and every receiver in this project verifies `Cko-Signature`.
    codes.add('action_signature_key_required');
    ok = false;
  } else if (typeof sig.key !== 'string' || sig.key.length > 1024) {
    codes.add('action_signature_key_invalid');
    ok = false;
  } else {
    key = sig.key;
    if (sig.method !== undefined && sig.method !== 'HMACSHA256') {
      codes.add('action_signature_method_invalid');
      ok = false;
    }
  }
  if (!ok) return null;
  return { type: 'webhook', url: String(raw.url), headers, signature: { method: 'HMACSHA256', key } };
}

export function parseConditions(raw: unknown, codes: Set<string>): WorkflowConditionInput[] {
  if (raw === undefined || (Array.isArray(raw) && raw.length === 0)) {
    codes.add('conditions_required');
    return [];
  }
  if (!Array.isArray(raw)) {
    codes.add('conditions_invalid');
    return [];
  }
  const out: WorkflowConditionInput[] = [];
  for (const item of raw) {
    const c = parseCondition(item, codes);
    if (!c) continue;
    if (out.some((o) => o.type === c.type)) codes.add('conditions_duplicate_type');
    out.push(c);
  }
  return out;
}

export function parseActions(raw: unknown, codes: Set<string>): WebhookActionInput[] {
  if (raw === undefined || (Array.isArray(raw) && raw.length === 0)) {
    codes.add('actions_required');
    return [];
  }
  if (!Array.isArray(raw)) {
    codes.add('actions_invalid');
    return [];
  }
  const out: WebhookActionInput[] = [];
  for (const item of raw) {
    const a = parseAction(item, codes);
    if (a) out.push(a);
  }
  return out;
}

function parseName(raw: unknown, codes: Set<string>): string {
  if (raw === undefined || raw === '') {
    codes.add('workflow_name_required');
    return '';
  }
  if (typeof raw !== 'string' || raw.length > 255) {
    codes.add('workflow_name_invalid');
    return '';
  }
  return raw;
}

function parseActive(raw: unknown, codes: Set<string>): boolean {
  if (raw === undefined) return true;
  if (typeof raw !== 'boolean') codes.add('workflow_active_invalid');
  return raw === true;
}

/** Validates a `POST /workflows` body, collecting a code for every bad field. */
export function parseWorkflowInput(body: unknown): Parsed<WorkflowInput> {
  const codes = new Set<string>();
  if (!isRecord(body)) return { ok: false, codes: ['request_body_invalid'] };
  const name = parseName(body.name, codes);
  const active = parseActive(body.active, codes);
  const conditions = parseConditions(body.conditions, codes);
  const actions = parseActions(body.actions, codes);
  if (codes.size > 0) return { ok: false, codes: [...codes] };
  return { ok: true, value: { name, active, conditions, actions } };
}

/**
 * Validates a `PATCH /workflows/{id}` body: any of `name`, `active`, `conditions`, `actions`; the lists,
 * when given, replace the old ones and must still hold at least one item.
 */
export function parseWorkflowPatch(body: unknown): Parsed<Partial<WorkflowInput>> {
  const codes = new Set<string>();
  if (!isRecord(body)) return { ok: false, codes: ['request_body_invalid'] };
  const out: Partial<WorkflowInput> = {};
  if (body.name !== undefined) out.name = parseName(body.name, codes);
  if (body.active !== undefined) out.active = parseActive(body.active, codes);
  if (body.conditions !== undefined) out.conditions = parseConditions(body.conditions, codes);
  if (body.actions !== undefined) out.actions = parseActions(body.actions, codes);
  if (Object.keys(out).length === 0) codes.add('request_body_invalid');
  if (codes.size > 0) return { ok: false, codes: [...codes] };
  return { ok: true, value: out };
}

/** Validates one condition (`POST`/`PUT /workflows/{id}/conditions[/{conditionId}]`). */
export function parseOneCondition(body: unknown): Parsed<WorkflowConditionInput> {
  const codes = new Set<string>();
  const c = parseCondition(body, codes);
  return c ? { ok: true, value: c } : { ok: false, codes: [...codes] };
}

/** Validates one webhook action (`POST`/`PUT /workflows/{id}/actions[/{actionId}]`). */
export function parseOneAction(body: unknown): Parsed<WebhookActionInput> {
  const codes = new Set<string>();
  const a = parseAction(body, codes);
  return a ? { ok: true, value: a } : { ok: false, codes: [...codes] };
}
