/**
 * The demo shop's browser code, served as `/demo/shop.js`: plain JavaScript, no framework. It uses the
 * tokenization helper Bollard serves (`/v1/tokenize.js`) and Bollard's storefront endpoints exactly as a
 * merchant's page would.
 */
export const SHOP_JS = String.raw`import { createPaymentLink, createPaymentSession, newIdempotencyKey, tokenizeCard } from '/v1/tokenize.js';
import { confirmPayment, isOutcomeUnknown } from '/demo/confirm.js';

const $ = (sel) => document.querySelector(sel);
const LINK_KEY = 'bollard-demo-link';
let config = null;

/**
 * The session or link being created: its item, order and Idempotency-Key. Kept until the create succeeds
 * (or is refused), so when the shopper clicks again after a lost answer the same request goes with the
 * same key — from whatever network the phone is on now — and a create that did happen is answered, not
 * made twice. The helper retries a lost answer itself with that key too.
 */
const attempts = { session: null, link: null };

async function attemptFor(kind, item) {
  const current = attempts[kind];
  if (current && current.itemId === item.id) return current;
  attempts[kind] = { itemId: item.id, order: await orderFields(item), key: newIdempotencyKey() };
  return attempts[kind];
}

/** After a create: a success or a refusal ends the attempt; a lost answer or a 5xx keeps it for the retry. */
function settleAttempt(kind, err) {
  const unknown = err && (!err.status || err.status >= 500 || (err.codes || []).includes('idempotency_key_in_flight'));
  if (!unknown) attempts[kind] = null;
}

const money = (amount, currency) =>
  new Intl.NumberFormat('en-GB', { style: 'currency', currency }).format(amount / 100);

function selectedItem() {
  const input = document.querySelector('input[name="item"]:checked');
  return { id: input.value, name: input.dataset.name, amount: Number(input.dataset.amount), currency: input.dataset.currency };
}

/** Shows an outcome; an action ({ label, onClick }) adds one button to it. */
function showOutcome(status, title, detail, action) {
  const box = $('#outcome');
  box.dataset.status = status;
  box.replaceChildren();
  const strong = document.createElement('strong');
  strong.textContent = title;
  box.append(strong);
  if (detail) {
    const p = document.createElement('div');
    p.textContent = detail;
    box.append(p);
  }
  if (action) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'action';
    b.textContent = action.label;
    b.addEventListener('click', () => {
      b.disabled = true;
      action.onClick();
    });
    box.append(b);
  }
}

/**
 * Calls Bollard; a non-2xx answer throws with the one error shape's message and codes, the status, and
 * the Cko-Idempotency-Key and Retry-After headers (exposed by CORS).
 */
async function api(path, body, idempotencyKey) {
  const init = { headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.method = 'POST';
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (idempotencyKey) init.headers['idempotency-key'] = '"' + idempotencyKey + '"';
  const res = await fetch(path, init);
  const json = await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error((json && json.message) || 'Request failed (' + res.status + ')');
    err.codes = (json && json.error_codes) || [];
    err.errorType = json && json.error_type;
    err.status = res.status;
    err.idempotencyKey = res.headers.get('cko-idempotency-key');
    err.retryAfter = Number(res.headers.get('retry-after')) || 0;
    throw err;
  }
  return json;
}

/** The order: amounts in open mode; in signed mode a token the merchant backend signs (here: the dev route). */
async function orderFields(item) {
  if (config.order_mode === 'open') {
    return { amount: item.amount, currency: item.currency, reference: 'DEMO-' + Date.now().toString(36).toUpperCase() };
  }
  const { order_token } = await api('/demo/order-token', { item_id: item.id });
  return { order_token };
}

const billing = { address: { country: 'GB', city: 'London' } };

// ---- webhook events panel ------------------------------------------------------------------------------
let pollTimer = null;
function watchEvents(paymentId) {
  clearTimeout(pollTimer);
  const list = $('#events-list');
  list.replaceChildren();
  $('#events-empty').textContent = 'Waiting for events for ' + paymentId + '…';
  let tries = 0;
  const seen = new Set();
  const poll = async () => {
    tries++;
    try {
      const res = await fetch('/v1/events/recent?payment_id=' + encodeURIComponent(paymentId));
      if (res.status === 404) {
        $('#events-empty').textContent = 'The webhook event feed is not available on this server.';
        return;
      }
      const feed = await res.json();
      for (const e of feed.data || []) {
        const key = e.type + '|' + e.created_on;
        if (seen.has(key)) continue;
        seen.add(key);
        const li = document.createElement('li');
        li.dataset.type = e.type;
        const b = document.createElement('b');
        b.textContent = e.type;
        const t = document.createElement('span');
        t.textContent = new Date(e.received_at).toLocaleTimeString();
        li.append(b, t);
        list.append(li);
      }
      if (seen.size > 0) $('#events-empty').textContent = 'Received by Bollard (signature verified):';
    } catch {
      // transient; keep polling
    }
    if (tries < 40) pollTimer = setTimeout(poll, 1500);
  };
  poll();
}

// ---- card --------------------------------------------------------------------------------------------
function cardInput() {
  const m = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec($('#card-expiry').value);
  return {
    number: $('#card-number').value,
    expiry_month: m ? Number(m[1]) : 0,
    expiry_year: m ? Number(m[2]) : 0,
    cvv: $('#card-cvv').value,
    name: $('#card-name').value || undefined,
  };
}

const FIELD_INPUT = { number: '#card-number', expiry: '#card-expiry', cvv: '#card-cvv', name: '#card-name' };

/** Shows a submit's answer (or the one the status route settled on) and re-enables paying. */
function showPayment(result, item) {
  if (result.status === 'Approved') {
    showOutcome('approved', 'Payment approved', item.name + ' · ' + money(item.amount, item.currency) + ' · ' + result.id);
  } else if (result.status === 'Declined') {
    showOutcome('declined', 'Payment declined', (result.decline_reason || 'The issuer declined the card.') + ' · ' + result.id);
  } else {
    showOutcome('pending', 'Payment ' + (result.status || 'pending'), result.id || '');
  }
  if (result.id) watchEvents(result.id);
  $('#pay-card').disabled = false;
}

async function payByCard(event) {
  event.preventDefault();
  const button = $('#pay-card');
  button.disabled = true;
  for (const sel of Object.values(FIELD_INPUT)) $(sel).removeAttribute('aria-invalid');
  showOutcome('pending', 'Processing…');
  // While a payment's outcome is unknown the Pay button stays off: paying again could pay twice.
  let confirming = false;
  try {
    const item = selectedItem();
    let card;
    try {
      card = await tokenizeCard(cardInput());
    } catch (err) {
      for (const f of err.fields || []) if (FIELD_INPUT[f]) $(FIELD_INPUT[f]).setAttribute('aria-invalid', 'true');
      showOutcome('error', err.message || 'The card could not be checked.');
      return;
    }
    const attempt = await attemptFor('session', item);
    let session;
    try {
      ({ body: session } = await createPaymentSession(
        { ...attempt.order, billing, success_url: location.origin + '/?outcome=success', failure_url: location.origin + '/?outcome=failure' },
        { idempotencyKey: attempt.key },
      ));
      settleAttempt('session');
    } catch (err) {
      settleAttempt('session', err);
      throw err;
    }
    const submitPath = '/v1/payment-sessions/' + session.id + '/submit';
    const submitBody = { session_data: card.token };
    let result;
    try {
      result = await api(submitPath, submitBody, attempt.key + '-submit');
    } catch (err) {
      if (!isOutcomeUnknown(err)) throw err;
      confirming = true;
      const ctx = {
        sessionId: session.id,
        key: err.idempotencyKey,
        api,
        show: showOutcome,
        settle: (settled) => showPayment(settled, item),
        // The only re-submit: the shopper's own click, with the key the 504 named (never a new one).
        resubmit: () => api(submitPath, submitBody, ctx.key),
      };
      await confirmPayment(ctx);
      return;
    }
    showPayment(result, item);
  } catch (err) {
    showOutcome('error', err.message || 'Something went wrong.', (err.codes || []).join(', '));
  } finally {
    if (!confirming) button.disabled = false;
  }
}

// ---- payment link ------------------------------------------------------------------------------------
async function payByLink(event) {
  event.preventDefault();
  const button = $('#pay-link');
  button.disabled = true;
  showOutcome('pending', 'Creating your payment link…');
  try {
    const item = selectedItem();
    const attempt = await attemptFor('link', item);
    let link;
    try {
      ({ body: link } = await createPaymentLink(
        { ...attempt.order, billing, description: item.name, return_url: location.origin + '/?link_return=1' },
        { idempotencyKey: attempt.key },
      ));
      settleAttempt('link');
    } catch (err) {
      settleAttempt('link', err);
      throw err;
    }
    sessionStorage.setItem(LINK_KEY, link.id);
    location.assign(link._links.redirect.href);
  } catch (err) {
    showOutcome('error', err.message || 'Something went wrong.', (err.codes || []).join(', '));
    button.disabled = false;
  }
}

async function returnedFromLink() {
  const params = new URLSearchParams(location.search);
  const linkId = sessionStorage.getItem(LINK_KEY);
  if (!params.has('link_return') || !linkId) return;
  sessionStorage.removeItem(LINK_KEY);
  selectTab('link');
  try {
    const link = await api('/v1/payment-links/' + encodeURIComponent(linkId));
    const paymentId = link.payment_id || params.get('cko-payment-id');
    if (link.status === 'Payment Received' || link.status === 'Paid') {
      showOutcome('approved', 'Payment approved', 'Paid by link · ' + money(link.amount, link.currency) + ' · ' + (paymentId || ''));
    } else {
      showOutcome('declined', 'Payment not completed', 'Link status: ' + link.status);
    }
    if (paymentId) watchEvents(paymentId);
  } catch (err) {
    showOutcome('error', err.message || 'Could not read the payment link.');
  }
  history.replaceState(null, '', '/');
}

// ---- wiring ------------------------------------------------------------------------------------------
function selectTab(which) {
  $('#tab-card').setAttribute('aria-selected', String(which === 'card'));
  $('#tab-link').setAttribute('aria-selected', String(which === 'link'));
  $('#card-form').hidden = which !== 'card';
  $('#link-form').hidden = which !== 'link';
}

function updatePrices() {
  const item = selectedItem();
  const label = money(item.amount, item.currency);
  $('#pay-card').textContent = 'Pay ' + label;
  $('#pay-link').textContent = 'Pay ' + label + ' by link';
}

async function main() {
  config = await api('/v1/config');
  $('#mode').textContent =
    'Order mode: ' + config.order_mode + (config.order_mode === 'signed' ? ' (prices signed by the shop server)' : ' (amounts from the page, within limits)') +
    ' · ' + config.environment;
  $('#tab-card').addEventListener('click', () => selectTab('card'));
  $('#tab-link').addEventListener('click', () => selectTab('link'));
  $('#card-form').addEventListener('submit', payByCard);
  $('#link-form').addEventListener('submit', payByLink);
  for (const b of document.querySelectorAll('[data-card]')) {
    b.addEventListener('click', () => {
      $('#card-number').value = b.dataset.card;
      if (!$('#card-expiry').value) $('#card-expiry').value = '12/' + String((new Date().getFullYear() + 3) % 100);
      if (!$('#card-cvv').value) $('#card-cvv').value = '100';
    });
  }
  for (const r of document.querySelectorAll('input[name="item"]')) r.addEventListener('change', updatePrices);
  updatePrices();
  document.body.dataset.ready = 'true';
  await returnedFromLink();
}

main().catch((err) => showOutcome('error', 'The shop could not start: ' + err.message));
`;
