import * as z from 'zod/mini';
import { checkEventData } from './event-schemas';

/**
 * The delivery envelope (facts §6): `{ id, type, version?, created_on, data, _links? }`. Validation is
 * loose about extra fields and strict about the four Bollard relies on. `zod/mini`, like every schema on a
 * hot path: classic zod would add about 9 KiB gzip to the Worker's main module (docs/benchmarks.md).
 */
const envelopeSchema = z.looseObject({
  id: z.string().check(z.regex(/^evt_[A-Za-z0-9]{1,64}$/)),
  type: z.string().check(z.regex(/^[a-z][a-z0-9_]{0,63}$/)),
  version: z.optional(z.string()),
  created_on: z.iso.datetime({ offset: true }),
  data: z.record(z.string(), z.unknown()),
  _links: z.optional(z.record(z.string(), z.unknown())),
});

/** A validated event, with the subject it is filed under. */
export interface WebhookEvent {
  id: string;
  type: string;
  created_on: string;
  /** Payment (`pay_…`), dispute (`dsp_…`) or, when the event names neither, the event id itself. */
  subject: string;
  subject_kind: 'payment' | 'dispute' | 'other';
  /** True when `type` is one of the guide's ten and `data` matched its schema. */
  known: boolean;
  data: Record<string, unknown>;
  /** The whole parsed envelope, as delivered. */
  envelope: Record<string, unknown>;
}

export type EnvelopeResult =
  | { ok: true; event: WebhookEvent }
  | { ok: false; status: 400 | 422; codes: string[]; reason: string };

const SUBJECT = /^(pay|dsp)_[A-Za-z0-9]{1,64}$/;

/**
 * Where an event is filed. Derived only from the event's own bytes, so every delivery of one event —
 * whenever it arrives — lands in the same place and the duplicates meet: `data.id` when it is a payment
 * or dispute id, else the last segment of `_links.subject.href`, else the event id.
 */
export function subjectOf(
  id: string,
  data: Record<string, unknown>,
  links: Record<string, unknown> | undefined,
): { subject: string; kind: WebhookEvent['subject_kind'] } {
  const dataId = data.id;
  if (typeof dataId === 'string' && SUBJECT.test(dataId)) return { subject: dataId, kind: kindOf(dataId) };
  const href = (links?.subject as { href?: unknown } | undefined)?.href;
  if (typeof href === 'string') {
    const last = href.split('/').pop() ?? '';
    if (SUBJECT.test(last)) return { subject: last, kind: kindOf(last) };
  }
  return { subject: id, kind: 'other' };
}

function kindOf(subject: string): 'payment' | 'dispute' {
  return subject.startsWith('pay_') ? 'payment' : 'dispute';
}

/**
 * Parses a verified body. Malformed JSON is 400 (`body_not_json`); a JSON value that is not a valid
 * envelope, or a known event whose `data` breaks its schema, is 422 naming the fields.
 */
export function parseEnvelope(text: string): EnvelopeResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, status: 400, codes: ['body_not_json'], reason: 'the body is not valid JSON' };
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? 'body')))];
    return {
      ok: false,
      status: 422,
      codes: fields.map((f) => `${f}_invalid`),
      reason: `invalid envelope: ${fields.join(', ')}`,
    };
  }
  const env = parsed.data;
  const check = checkEventData(env.type, env.data);
  if (!check.ok) {
    return {
      ok: false,
      status: 422,
      codes: ['data_invalid'],
      reason: `invalid ${env.type} data: ${check.issues.join(', ')}`,
    };
  }
  const { subject, kind } = subjectOf(env.id, env.data, env._links);
  return {
    ok: true,
    event: {
      id: env.id,
      type: env.type,
      created_on: env.created_on,
      subject,
      subject_kind: kind,
      known: check.known,
      data: check.data,
      envelope: env as Record<string, unknown>,
    },
  };
}
