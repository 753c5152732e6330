/**
 * The demo shop's "Confirming your payment…" step, served as `/demo/confirm.js` and imported by
 * `/demo/shop.js`. When a submit answers `504 upstream_outcome_unknown`, nobody knows yet whether the
 * shopper paid: the page says so, polls `GET /v1/payment-sessions/{id}/status` (read only) until the
 * payment is approved or declined — every second at first, then every 3 s, for at most a minute — and
 * never submits again on its own. If it cannot confirm, it asks the shopper to contact the shop; its one
 * retry button resends the submit with the `Cko-Idempotency-Key` the 504 returned, which gets the
 * original outcome and can never pay twice.
 */
export const CONFIRM_JS = `const POLL_FOR_MS = 60000;
const FAST_POLLS = 15;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The one answer that means "it may or may not have happened". */
export function isOutcomeUnknown(err) {
  return Boolean(err) && err.status === 504 && err.errorType === 'upstream_outcome_unknown';
}

/**
 * ctx: { sessionId, key, api(path, body?, key?), show(status, title, detail?, action?), settle(result),
 * resubmit() } — settle takes a submit-shaped result ({ status: 'Approved'|'Declined', id }).
 */
export async function confirmPayment(ctx) {
  ctx.show(
    'confirming',
    'Confirming your payment…',
    'The payment service did not answer in time, so we are checking with it. Please do not pay again.',
  );
  const statusPath = '/v1/payment-sessions/' + encodeURIComponent(ctx.sessionId) + '/status';
  const until = Date.now() + POLL_FOR_MS;
  for (let polls = 0; Date.now() < until; polls++) {
    let wait = polls < FAST_POLLS ? 1000 : 3000;
    try {
      const known = await ctx.api(statusPath);
      if (known.status === 'approved' || known.status === 'declined') {
        ctx.settle({ status: known.status === 'approved' ? 'Approved' : 'Declined', id: known.payment_id });
        return;
      }
    } catch (err) {
      // A failed poll is not an answer; a 429 says when to ask again.
      if (err && err.retryAfter > 0) wait = Math.max(wait, err.retryAfter * 1000);
    }
    await sleep(Math.min(wait, Math.max(0, until - Date.now())));
  }
  unconfirmed(ctx);
}

function unconfirmed(ctx) {
  ctx.show(
    'unconfirmed',
    'We could not confirm your payment',
    'Please contact the shop before paying again, quoting ' + (ctx.key || ctx.sessionId) +
      '. Trying again below reuses the same payment key, so you cannot be charged twice.',
    { label: 'Try again safely', onClick: () => retry(ctx) },
  );
}

async function retry(ctx) {
  ctx.show('pending', 'Processing…');
  try {
    ctx.settle(await ctx.resubmit());
  } catch (err) {
    if (isOutcomeUnknown(err)) {
      ctx.key = err.idempotencyKey || ctx.key;
      await confirmPayment(ctx);
      return;
    }
    ctx.show('error', err.message || 'Something went wrong.', (err.codes || []).join(', '));
  }
}
`;
