/**
 * `/admin/console/lib.js`: what every view shares — the admin API client (same-origin, the session
 * cookie, the CSRF token on writes), a tiny DOM builder, formatting, tables and paging. Plain JavaScript
 * (no template literals: this file is itself a template).
 */
import { AREAS, EVENTS } from '../../catalog';

/** The catalog's areas and event types, as data for the page (the catalog stays their one source). */
const CATALOG_JS = [
  `export const AREAS = ${JSON.stringify(AREAS.map((a) => ({ id: a.id, title: a.title })))};`,
  `export const EVENT_TYPES = ${JSON.stringify(EVENTS.map((e) => e.type))};`,
].join('\n');

export const LIB_JS = `${CATALOG_JS}\n${String.raw`
let csrfToken = null;
let onSignedOut = () => {};

export function setCsrfToken(token) {
  csrfToken = token;
}

export function onUnauthorized(fn) {
  onSignedOut = fn;
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || 'Request failed (' + status + ')');
    this.status = status;
    this.codes = (body && body.error_codes) || [];
    this.requestId = body && body.request_id;
  }
}

/** Calls the admin API. Writes carry the CSRF token; a 401 signs the page out. */
export async function api(path, options) {
  const opts = options || {};
  const method = opts.method || 'GET';
  const headers = { accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, init);
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch (_e) {
    body = null;
  }
  if (res.status === 401) onSignedOut(body && body.error_codes && body.error_codes[0]);
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

/** Creates an element: h('a', { href: '#/x', class: 'c' }, 'text', child). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** Says something to screen readers (and tests) without moving focus. */
export function announce(text) {
  const region = document.getElementById('announce');
  region.textContent = '';
  setTimeout(() => {
    region.textContent = text;
  }, 20);
}

export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function timeCell(iso) {
  return h('time', { datetime: iso || '' }, when(iso));
}

export function minor(amount, currency) {
  if (amount === null || amount === undefined) return '—';
  return currency ? amount + ' ' + currency + ' (minor units)' : String(amount);
}

export function percent(rate) {
  return rate === null || rate === undefined ? '—' : (rate * 100).toFixed(1) + '%';
}

/** A table with a caption and column headers; rows are arrays of cells (text or nodes). */
export function table(caption, columns, rows, empty) {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty || 'Nothing here yet.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((cell) => h('td', {}, cell))))),
    ),
  );
}

/** A definition list from [label, value] pairs. */
export function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v === null || v === undefined || v === '' ? '—' : v)]));
}

/** Previous / next links for a { total_count, limit, skip } page; hrefFor(skip) builds each link. */
export function pager(page, hrefFor) {
  const from = page.total_count === 0 ? 0 : page.skip + 1;
  const to = Math.min(page.skip + page.data.length, page.total_count);
  const prev = page.skip > 0 ? h('a', { href: hrefFor(Math.max(0, page.skip - page.limit)), rel: 'prev' }, 'Previous page') : null;
  const next = page.skip + page.limit < page.total_count ? h('a', { href: hrefFor(page.skip + page.limit), rel: 'next' }, 'Next page') : null;
  return h('nav', { class: 'pager', 'aria-label': 'Pages' }, h('span', {}, 'Showing ' + from + '–' + to + ' of ' + page.total_count), prev, next);
}

/** The query of the current hash route (#/audit?x=1 → URLSearchParams). */
export function routeQuery() {
  const hash = location.hash || '';
  const q = hash.indexOf('?');
  return new URLSearchParams(q >= 0 ? hash.slice(q + 1) : '');
}

/** Goes to a route; going to the one shown shows it afresh (the browser fires no hashchange then). */
export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

export function hrefWith(base, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? base + '?' + s : base;
}

/** An error message box (role=alert), from an ApiError or any error. */
export function errorBox(err) {
  const codes = err && err.codes && err.codes.length ? ' (' + err.codes.join(', ') + ')' : '';
  return h('p', { class: 'error', role: 'alert' }, ((err && err.message) || String(err)) + codes);
}

/** A select with a label; options are [value, text] pairs. */
export function selectField(id, label, options, value) {
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    h('select', { id, name: id }, options.map(([v, t]) => h('option', { value: v, selected: v === value }, t))),
  );
}

export function inputField(id, label, attrs) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('input', Object.assign({ id, name: id }, attrs || {})));
}

/** datetime-local value (local time) → ISO, or '' */
export function localToIso(value) {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/** ISO → datetime-local value in local time, or '' */
export function isoToLocal(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' + pad(d.getHours()) + ':' + pad(d.getMinutes());
}

`}`;
