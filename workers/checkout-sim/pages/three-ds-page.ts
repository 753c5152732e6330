import type { PaymentRow } from '../routes/payments-store';
import { escapeHtml, formatAmount, page } from './html';

/** The simulated 3DS challenge: the customer completes or fails authentication. */
export function threeDsPage(payment: PaymentRow): string {
  if (payment.status !== 'Pending') {
    return page(
      '3-D Secure',
      `<h1>3-D Secure</h1><p id="status">This authentication is finished (payment ${escapeHtml(payment.status)}).</p>`,
    );
  }
  return page(
    '3-D Secure',
    `<h1>3-D Secure authentication</h1>
<p>Confirm the payment of <span class="amount" id="amount">${formatAmount(payment.amount, payment.currency)}</span>.</p>
<form method="post" action="/3ds/${escapeHtml(payment.id)}">
<button type="submit" name="outcome" value="complete" id="complete">Complete</button>
<button type="submit" name="outcome" value="fail" id="fail">Fail</button>
</form>`,
  );
}

export function threeDsDonePage(payment: PaymentRow): string {
  return page(
    '3-D Secure',
    `<h1>3-D Secure</h1><p id="status">Payment ${escapeHtml(payment.status)}.</p>
<p class="note">Payment <code id="payment-id">${escapeHtml(payment.id)}</code></p>`,
  );
}
