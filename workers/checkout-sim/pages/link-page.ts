import { APPROVING_CARDS, DECLINING_CARDS } from '../lib/cards';
import type { LinkRow } from '../routes/sessions-links-store';
import { escapeHtml, formatAmount, page } from './html';

/** The hosted page of a payment link: the amount and a card form (test cards listed). */
export function linkPage(link: LinkRow, error?: string): string {
  const title = link.description ?? link.reference ?? 'Payment';
  if (link.status !== 'Active') {
    const message =
      link.status === 'Expired'
        ? 'This payment link has expired.'
        : 'This payment link has already been paid.';
    return page(title, `<h1>${escapeHtml(title)}</h1><p id="status">${escapeHtml(message)}</p>`);
  }
  const approving = Object.entries(APPROVING_CARDS)
    .map(([n, cvv]) => `<li><code>${n}</code> (cvv ${cvv})</li>`)
    .join('');
  const declining = DECLINING_CARDS.map((n) => `<li><code>${n}</code></li>`).join('');
  return page(
    title,
    `<h1>${escapeHtml(title)}</h1>
<p class="amount" id="amount">${formatAmount(link.amount, link.currency)}</p>
${link.reference ? `<p>Reference: ${escapeHtml(link.reference)}</p>` : ''}
${error ? `<p class="error" id="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/link/${escapeHtml(link.id)}">
<label for="name">Cardholder name</label><input id="name" name="name" autocomplete="cc-name">
<label for="number">Card number</label><input id="number" name="number" inputmode="numeric" autocomplete="cc-number" required>
<div class="row"><div><label for="expiry_month">Month</label><input id="expiry_month" name="expiry_month" inputmode="numeric" placeholder="12" required></div>
<div><label for="expiry_year">Year</label><input id="expiry_year" name="expiry_year" inputmode="numeric" placeholder="2030" required></div>
<div><label for="cvv">CVV</label><input id="cvv" name="cvv" inputmode="numeric" autocomplete="cc-csc"></div></div>
<button type="submit" id="pay">Pay ${formatAmount(link.amount, link.currency)}</button>
</form>
<details><summary class="note">Test cards</summary><p class="note">Approved:</p><ul class="note">${approving}</ul>
<p class="note">Declined:</p><ul class="note">${declining}</ul></details>`,
  );
}

/** Shown after payment when the link has no `return_url`. */
export function linkPaidPage(link: LinkRow, paymentId: string): string {
  return page(
    'Payment received',
    `<h1>Payment received</h1><p id="status">Thank you. ${formatAmount(link.amount, link.currency)} was paid.</p>
<p class="note">Payment <code id="payment-id">${escapeHtml(paymentId)}</code></p>`,
  );
}
