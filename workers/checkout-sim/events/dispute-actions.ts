import type { SimContext } from '../lib/context';
import {
  createDispute,
  type Dispute,
  type DisputeCategory,
  decideOutcome,
  disputeEventData,
  readEvidence,
  saveDispute,
  writeEvidence,
} from './disputes';
import { emitEvent } from './emit';
import { findDisputablePayment } from './payment-lookup';

/** A refused dispute action: a 403/404/422 with the codes naming why. */
export type DisputeFailure = { ok: false; status: 403 | 404 | 422; errorType: string; codes: string[] };
export type DisputeResult = { ok: true; dispute: Dispute } | DisputeFailure;

const notOpen: DisputeFailure = {
  ok: false,
  status: 403,
  errorType: 'action_not_allowed',
  codes: ['dispute_not_open'],
};

/**
 * Raises a dispute on a captured payment (the control plane's stand-in for a cardholder's bank) and
 * emits `dispute_received` then `dispute_evidence_required`. `amount` defaults to what is disputable.
 */
export function raiseDispute(
  sim: SimContext,
  paymentId: string,
  category: DisputeCategory,
  amount?: number,
): DisputeResult {
  const found = findDisputablePayment(sim, paymentId);
  if (!found.ok) {
    return found.reason === 'not_found'
      ? { ok: false, status: 404, errorType: 'resource_not_found', codes: ['payment_not_found'] }
      : { ok: false, status: 422, errorType: 'request_invalid', codes: ['payment_not_captured'] };
  }
  const payment = found.payment;
  if (amount !== undefined && amount > payment.disputableAmount) {
    return { ok: false, status: 422, errorType: 'request_invalid', codes: ['amount_exceeds_disputable'] };
  }
  const dispute = createDispute(sim, payment, amount ?? payment.disputableAmount, category);
  emitEvent(sim, 'dispute_received', dispute.id, disputeEventData(dispute));
  emitEvent(sim, 'dispute_evidence_required', dispute.id, disputeEventData(dispute));
  return { ok: true, dispute };
}

/** Accepting concedes: the dispute closes as `accepted` and `dispute_lost` is emitted. */
export function acceptDispute(sim: SimContext, dispute: Dispute): DisputeResult {
  if (dispute.status !== 'evidence_required') return notOpen;
  const next = saveDispute(sim, { ...dispute, status: 'accepted' });
  emitEvent(sim, 'dispute_lost', next.id, disputeEventData(next));
  return { ok: true, dispute: next };
}

/** Stages evidence (merged over what was staged before); nothing is decided until it is submitted. */
export function stageEvidence(
  sim: SimContext,
  dispute: Dispute,
  evidence: Record<string, string>,
): DisputeResult {
  if (dispute.status !== 'evidence_required') return notOpen;
  writeEvidence(sim.sql, dispute.id, { ...readEvidence(sim.sql, dispute.id), ...evidence });
  return { ok: true, dispute: saveDispute(sim, dispute) };
}

/** Submits the staged evidence; the simulated scheme decides at once (see `decideOutcome`). */
export function submitEvidence(sim: SimContext, dispute: Dispute): DisputeResult {
  if (dispute.status !== 'evidence_required') return notOpen;
  const evidence = readEvidence(sim.sql, dispute.id);
  if (Object.keys(evidence).length === 0) {
    return { ok: false, status: 422, errorType: 'request_invalid', codes: ['evidence_required'] };
  }
  const outcome = decideOutcome(evidence);
  const next = saveDispute(sim, { ...dispute, status: outcome });
  emitEvent(sim, outcome === 'won' ? 'dispute_won' : 'dispute_lost', next.id, disputeEventData(next));
  return { ok: true, dispute: next };
}
