import { expect, vi } from 'vitest';
import { type FaultKind, faultRule, type MoneyMethod, type PreparedCall } from './methods';
import type { Answer, Surface } from './surfaces';
import type { SimControl } from './upstream-setup';

export interface ChaosCase {
  surface: Surface;
  method: MoneyMethod;
  kind: FaultKind;
  /** 1: every attempt is faulted; 0.5: every other one. */
  rate: number;
  prepared: PreparedCall;
  /** The caller's own idempotency key, or null to let Bollard make one. */
  callerKey: string | null;
}

export interface CaseResult {
  label: string;
  first: Answer;
  /** Effects upstream once the first call settled (a stalled request finishes after the client left). */
  effectsAfterFirst: number;
  retry: Answer;
  effectsAfterRetry: number;
  /** Payments with the call's reference, where it has one. */
  byReference: number | null;
  /** Every broken promise, in words; empty when the case kept every one. */
  violations: string[];
}

/** A 2xx carries the resource: an `id` or `action_id`, or nothing at all for a 204 call. */
export function resourceId(method: MoneyMethod, answer: Answer): string | null {
  if (method.answersWithoutBody) return answer.status === 204 || answer.status === 200 ? 'no-content' : null;
  const b = answer.body as Record<string, unknown> | null;
  if (!b || typeof b !== 'object') return null;
  if (typeof b.action_id === 'string') return b.action_id;
  if (typeof b.id === 'string') return b.id;
  return null;
}

const isSuccess = (a: Answer) => a.status >= 200 && a.status <= 299;
const isUnknown = (a: Answer) => a.status === 504 && a.errorType === 'upstream_outcome_unknown';

async function effectCount(sim: SimControl, name: string): Promise<number> {
  return (await sim.effects())[name] ?? 0;
}

/**
 * Waits until `probe` holds (work the simulator finishes after the caller gave up) or `ms` passes; the
 * case goes on either way, and its checks say whether the outcome was right.
 */
async function until(probe: () => Promise<boolean>, ms: number): Promise<void> {
  await vi
    .waitFor(async () => expect(await probe()).toBe(true), { timeout: ms, interval: 50 })
    .catch(() => {});
}

/**
 * One logical money-moving call under a fault, then the caller's retry with the key it was given,
 * checked against the promises of docs/operations.md ("Failure semantics").
 */
export async function runChaosCase(sim: SimControl, c: ChaosCase, stallMs: number): Promise<CaseResult> {
  const label = `${c.surface.name} ${c.method.name} ${c.kind}@${c.rate}`;
  const violations: string[] = [];
  const before = await effectCount(sim, c.method.name);
  await sim.setFault(c.method.routeKey, faultRule(c.kind, c.rate, stallMs));
  let first: Answer;
  try {
    first = await c.surface.call(c.method, c.prepared, c.callerKey);
  } finally {
    await sim.setFault(c.method.routeKey, null);
  }
  if (c.kind === 'stall') {
    // The server finishes the stalled request after Bollard gave up; let it, then count.
    await until(async () => (await effectCount(sim, c.method.name)) > before, stallMs + 3_000);
  }
  const effectsAfterFirst = (await effectCount(sim, c.method.name)) - before;

  if (effectsAfterFirst > 1) violations.push(`${effectsAfterFirst} effects from one logical call`);
  if (isSuccess(first)) {
    if (effectsAfterFirst !== 1) violations.push(`answered ${first.status} but ${effectsAfterFirst} effects`);
    if (resourceId(c.method, first) === null)
      violations.push(`answered ${first.status} without the resource`);
  } else if (isUnknown(first)) {
    if (first.idempotencyKey === null) violations.push('504 unknown without a Cko-Idempotency-Key');
  } else if (effectsAfterFirst !== 0) {
    violations.push(`answered ${first.status} ${first.errorType ?? ''} although it happened upstream`);
  }
  if (c.callerKey !== null && first.idempotencyKey !== null && first.idempotencyKey !== c.callerKey) {
    violations.push("the answer names a key other than the caller's");
  }
  // Faults that spare every other attempt leave time to learn the outcome: "unknown" would be lazy.
  if (c.rate < 1 && c.kind !== 'stall' && !isSuccess(first)) {
    violations.push(`every other attempt was fine, yet the answer was ${first.status}`);
  }
  // Throttling before anything happened is known to have done nothing: it must not be called unknown.
  if (c.kind === '429' && c.rate === 1 && first.status !== 429) {
    violations.push(`throttled on every attempt, answered ${first.status} instead of 429`);
  }

  // The caller retries as it was told: with the key it was given (or its own).
  const retryKey = first.idempotencyKey ?? c.callerKey;
  const retry = await c.surface.call(c.method, c.prepared, retryKey);
  const effectsAfterRetry = (await effectCount(sim, c.method.name)) - before;
  if (!isSuccess(retry)) violations.push(`the retry with the key answered ${retry.status} ${codesOf(retry)}`);
  else if (resourceId(c.method, retry) === null) violations.push('the retry answered without the resource');
  if (effectsAfterRetry !== 1)
    violations.push(`${effectsAfterRetry} effects after the retry (want exactly 1)`);
  if (isSuccess(first) && isSuccess(retry) && resourceId(c.method, first) !== resourceId(c.method, retry)) {
    violations.push('the retry returned a different resource than the first answer');
  }
  const byReference = c.prepared.reference ? await sim.paymentsByReference(c.prepared.reference) : null;
  if (byReference !== null && byReference !== 1)
    violations.push(`${byReference} payments with the reference`);
  return { label, first, effectsAfterFirst, retry, effectsAfterRetry, byReference, violations };
}

/** `error_type/error_codes` of an error answer, for a broken case's line (never a body's other fields). */
function codesOf(answer: Answer): string {
  const body = answer.body as { error_codes?: unknown } | null;
  const codes = body && Array.isArray(body.error_codes) ? body.error_codes.join(',') : '';
  return `${answer.errorType ?? ''}/${codes}`;
}
