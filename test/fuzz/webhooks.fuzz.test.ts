import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { EVENTS } from '../../src/catalog';
import { locateEventShard } from '../../src/webhooks/event-lookup';
import { inboxCatalogue } from '../../src/webhooks/stubs';
import {
  bodyArb,
  contentTypeArb,
  jsonText,
  methodArb,
  originArb,
  queryArb,
  requestIdArb,
} from './support/arbitraries';
import {
  assertClean,
  commonViolations,
  type FuzzRequest,
  requestText,
  runFuzz,
  send,
  simCounters,
  toRequest,
} from './support/bollard';
import { propertyOptions, timeoutFor } from './support/config';

/**
 * The webhook receiver, `/webhooks/checkout`, under hostile input: deliveries signed with the configured
 * key over the exact bytes sent, unsigned, signed with another key, with the signature in upper case,
 * truncated or padded; envelopes of the ten event types with hostile data and ids, and everything
 * `bodyArb` makes (binary, invalid UTF-8, UTF-16, 2,000-deep nesting, 300 KB); every method; and, for half
 * the requests, a configured `WEBHOOK_AUTH_HEADER_VALUE` with the `Authorization` header right (in any
 * scheme case), wrong or missing.
 *
 * "Written": a refusal (any 4xx) records no event and quarantines nothing. A signed delivery is answered
 * 200: an envelope is recorded once per event id (a repeat says `duplicate: true` and records nothing);
 * anything else is quarantined once per distinct body (the same bytes again count a delivery on the same
 * entry). No delivery touches the upstream.
 */
const RUNS = 200;
const SIGNING_KEY = 'whsec_dev_bollard_local_signing_key';
const AUTH_VALUE = 'Bearer whauth_fuzz_0123456789abcdef';

const enc = new TextEncoder();

async function hmacHex(bytes: Uint8Array, key: string): Promise<string> {
  const k = await crypto.subtle.importKey('raw', enc.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const mac = await crypto.subtle.sign('HMAC', k, bytes);
  return Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, '0')).join('');
}

function bytesOf(data: FuzzRequest['body']['data']): Uint8Array {
  if (data === null) return new Uint8Array(0);
  return typeof data === 'string' ? enc.encode(data) : data;
}

/** The event id a body names, when it is an object with an `evt_` id (what the inbox would file it under). */
function eventIdOf(bytes: Uint8Array): string | null {
  try {
    const parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)) as {
      id?: unknown;
    };
    return typeof parsed?.id === 'string' && /^evt_[A-Za-z0-9]{1,64}$/.test(parsed.id) ? parsed.id : null;
  } catch {
    return null;
  }
}

/**
 * What a delivery may add to: whether the inbox holds the event the body names (its shard, read directly:
 * the catalogue's listing catches up a second later) and how many deliveries are quarantined.
 */
async function inboxState(eventId: string | null): Promise<{ held: boolean; quarantined: number }> {
  const [shard, quarantined] = await Promise.all([
    eventId === null ? null : locateEventShard(env, eventId),
    inboxCatalogue(env).quarantined(1, 0),
  ]);
  return { held: shard !== null, quarantined: quarantined.total_count };
}

type Signing = 'valid' | 'none' | 'other-key' | 'upper' | 'truncated' | 'padded' | 'garbage';

interface WebhookRequest extends FuzzRequest {
  signing: Signing;
  /** The `WEBHOOK_AUTH_HEADER_VALUE` configured for this request, if any. */
  authConfigured: boolean;
}

describe('fuzz: the webhook receiver', () => {
  it('answers every delivery below 500, in the one error shape, and records or quarantines exactly once', {
    timeout: timeoutFor(RUNS),
  }, async () => {
    const eventId = fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 40 }).map((n) => `"evt_fuzz${n}"`) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('"evt_"', '"evt_../x"', '"pay_x"', '1', 'null', `"evt_${'a'.repeat(65)}"`),
      },
    );
    const envelope = fc
      .tuple(
        eventId,
        fc.oneof(
          fc.constantFrom(...EVENTS.map((e) => e.type)),
          fc.constantFrom('unknown_type', 'Payment_Approved', '', '__proto__', 'constructor', 'to_string'),
        ),
        fc.constantFrom(
          '"2026-01-01T00:00:00Z"',
          '"2026-01-01T00:00:00.000+01:00"',
          '"yesterday"',
          '1',
          '"9999-12-31T23:59:59Z"',
        ),
        fc.oneof(
          fc.constantFrom(
            '{"id":"pay_aaaaaaaaaaaaaaaaaaaaaaaaaa","amount":1000,"currency":"EUR"}',
            '{"id":"dsp_aaaaaaaaaaaaaaaaaaaaaaaaaa","amount":1000,"currency":"EUR","payment_id":"pay_aaaaaaaaaaaaaaaaaaaaaaaaaa"}',
            '{"id":"pay_aaaaaaaaaaaaaaaaaaaaaaaaaa","amount":1e400,"currency":"EUR"}',
            '{"id":"pay_aaaaaaaaaaaaaaaaaaaaaaaaaa","source":{"number":"4242424242424242"}}',
            '{}',
            '[]',
          ),
          jsonText([
            'id',
            'amount',
            'currency',
            'payment_id',
            'reference',
            'action_id',
            'response_code',
            'source',
          ]),
        ),
      )
      .map(
        ([id, type, created, data]) =>
          `{"id":${id},"type":${JSON.stringify(type)},"created_on":${created},"data":${data}}`,
      );

    const requestArb: fc.Arbitrary<WebhookRequest> = fc.record({
      method: fc.oneof({ weight: 6, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: methodArb }),
      path: fc.oneof(
        { weight: 10, arbitrary: fc.constant('/webhooks/checkout') },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            '/webhooks/checkout/',
            '/webhooks/Checkout',
            '/webhooks',
            '/webhooks/checkout/..%2F',
          ),
        },
      ),
      query: fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: queryArb }),
      signing: fc.constantFrom<Signing>(
        'valid',
        'valid',
        'valid',
        'none',
        'other-key',
        'upper',
        'truncated',
        'padded',
        'garbage',
      ),
      authConfigured: fc.boolean(),
      headers: fc.record({
        'content-type': fc.oneof(
          { weight: 3, arbitrary: fc.constant('application/json') },
          { weight: 1, arbitrary: contentTypeArb },
        ),
        authorization: fc.constantFrom(
          null,
          AUTH_VALUE,
          AUTH_VALUE.replace('Bearer', 'bearer'),
          AUTH_VALUE.replace('Bearer', 'BEARER'),
          AUTH_VALUE.replace('Bearer ', 'Bearer  '),
          'Bearer wrong',
          'whauth_fuzz_0123456789abcdef',
          'Bearer bollard_admin_dev',
        ),
        'x-request-id': requestIdArb,
        origin: originArb,
        'cko-signature': fc.constant<string | null>(null),
      }),
      body: bodyArb(['id', 'type', 'created_on', 'data', '_links', 'version'], [envelope]),
    });

    const quarantinedBodies = new Map<string, number>();

    await runFuzz(
      'webhooks',
      ({ log, seen }) =>
        fc.asyncProperty(requestArb, async (req) => {
          const bytes = bytesOf(req.body.data);
          const mac = await hmacHex(bytes, req.signing === 'other-key' ? 'whsec_another_key' : SIGNING_KEY);
          const signature: Record<Signing, string | null> = {
            valid: mac,
            'other-key': mac,
            none: null,
            upper: mac.toUpperCase(),
            truncated: mac.slice(0, 63),
            // (Surrounding spaces would be trimmed by the Fetch API itself: a longer value instead.)
            padded: `${mac}0`,
            garbage: 'z'.repeat(64),
          };
          const signed = { ...req, headers: { ...req.headers, 'cko-signature': signature[req.signing] } };
          const request = toRequest(signed);
          fc.pre(request !== null);
          if (request === null) return;
          const eventId = eventIdOf(bytes);
          const [simBefore, before] = await Promise.all([simCounters(), inboxState(eventId)]);
          log.take();
          const answer = await send(
            request,
            req.authConfigured ? ({ WEBHOOK_AUTH_HEADER_VALUE: AUTH_VALUE } as Partial<Env>) : undefined,
          );
          const logs = log.take();
          seen(answer);
          const [simAfter, after] = await Promise.all([simCounters(), inboxState(eventId)]);
          const violations = commonViolations({
            request,
            requestText: requestText(signed),
            answer,
            logs,
            sim: { before: simBefore, after: simAfter },
            scan: { secrets: ['whauth_fuzz_0123456789abcdef', 'whsec_another_key'] },
          });
          if (simAfter.total !== simBefore.total) violations.push('a delivery reached the upstream');
          const recorded = after.held && !before.held;
          const addedQuarantine = after.quarantined - before.quarantined;
          if (answer.status >= 400) {
            if (recorded || addedQuarantine)
              violations.push(
                `a refused delivery was kept (recorded: ${recorded}, +${addedQuarantine} quarantined)`,
              );
          } else if (answer.status === 200) {
            const auth = req.headers.authorization ?? '';
            // The scheme is case-insensitive and followed by one or more spaces (RFC 9110 §11.4: 1*SP).
            const authOk = !req.authConfigured || auth.replace(/^bearer +/i, 'Bearer ') === AUTH_VALUE;
            if (req.signing !== 'valid' || !authOk || request.method !== 'POST')
              violations.push(`accepted a delivery (${req.signing}, auth ${authOk ? 'ok' : 'wrong'})`);
            const body = JSON.parse(answer.text) as Record<string, unknown>;
            if (body.quarantined === true) {
              const digest = await hmacHex(bytes, 'digest');
              const earlier = quarantinedBodies.get(digest);
              if (recorded) violations.push('a quarantined delivery recorded an event');
              if (earlier === undefined) {
                if (addedQuarantine !== 1)
                  violations.push(`a new body added ${addedQuarantine} quarantine entries`);
                quarantinedBodies.set(digest, Number(body.quarantine_id));
              } else {
                if (addedQuarantine !== 0) violations.push('the same body was quarantined twice');
                if (Number(body.quarantine_id) !== earlier)
                  violations.push('the same body got another quarantine entry');
              }
            } else if (body.received === true) {
              if (addedQuarantine !== 0) violations.push('a recorded event was also quarantined');
              if (body.id !== eventId || !after.held)
                violations.push('an acknowledged event is not in the inbox');
              // Recorded once per event id: a repeat is acknowledged as a duplicate and changes nothing.
              if (body.duplicate !== before.held)
                violations.push(`duplicate: ${String(body.duplicate)}, but held before: ${before.held}`);
            } else
              violations.push(`a 200 that is neither received nor quarantined: ${answer.text.slice(0, 100)}`);
          } else violations.push(`an unexpected ${answer.status}`);
          if (
            request.method === 'GET' &&
            req.path === '/webhooks/checkout' &&
            (answer.status !== 405 || answer.headers.get('allow') !== 'POST')
          )
            violations.push('GET /webhooks/checkout is not 405 with Allow: POST');
          assertClean(violations, signed, answer);
        }),
      propertyOptions(RUNS),
    );
  });
});
