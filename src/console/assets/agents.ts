/**
 * `/admin/console/agents.js`: agents — the list, creation with the grant matrix (seven areas ×
 * none/read/write), money caps and an expiry, the key shown once (with a copy button) at creation and
 * rotation, revocation, and each agent's recent calls from the audit log.
 */
export const AGENTS_JS = String.raw`import {
  AREAS, announce, api, errorBox, facts, h, hrefWith, localToIso, pager, routeQuery, table, timeCell,
} from '/admin/console/lib.js';

function grantsText(grants) {
  const parts = Object.entries(grants || {}).map(([a, g]) => a + ': ' + g);
  return parts.length ? parts.join(', ') : 'none';
}

function amountsText(map) {
  const parts = Object.entries(map || {}).map(([c, n]) => c + ' ' + n);
  return parts.length ? parts.join(', ') : null;
}

function limitsText(limits) {
  const l = limits || {};
  const parts = [];
  if (l.currencies && l.currencies.length) parts.push('currencies ' + l.currencies.join(', '));
  if (amountsText(l.max_amount_per_call)) parts.push('per call ' + amountsText(l.max_amount_per_call));
  if (amountsText(l.max_amount_per_day)) parts.push('per day ' + amountsText(l.max_amount_per_day));
  if (amountsText(l.max_amount_per_7_days)) parts.push('per 7 days ' + amountsText(l.max_amount_per_7_days));
  if (amountsText(l.max_amount_per_30_days)) parts.push('per 30 days ' + amountsText(l.max_amount_per_30_days));
  if (amountsText(l.max_amount_lifetime)) parts.push('lifetime ' + amountsText(l.max_amount_lifetime));
  const calls = Object.entries(l.max_calls_per_hour || {}).map(([m, n]) => (m === '*' ? 'all' : m) + ' ' + n);
  if (calls.length) parts.push('calls per hour ' + calls.join(', '));
  return parts.length ? parts.join('; ') : 'none';
}

/** Object scope per granted area: own (only what it created through Bollard) or any. */
function scopeText(scope) {
  const parts = Object.entries(scope || {}).map(([a, s]) => a + ': ' + (s === 'own' ? 'own objects only' : 'any object'));
  return parts.length ? parts.join(', ') : 'none';
}

function countsText(map) {
  const parts = Object.entries(map || {}).map(([k, n]) => (k === '*' ? 'all' : k) + ' ' + n);
  return parts.length ? parts.join(', ') : null;
}

/** "* 100, refundPayment 10" → { '*': 100, refundPayment: 10 }; throws naming the bad part. */
function parseCalls(text) {
  const out = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\*|all|[A-Za-z]+)\s*[: =]\s*(\d+)$/.exec(part);
    if (!m) throw new Error('Calls per hour: "' + part + '" is not METHOD COUNT (e.g. * 100, refundPayment 10)');
    out[m[1] === 'all' ? '*' : m[1]] = Number(m[2]);
  }
  return Object.keys(out).length ? out : undefined;
}

function badge(status) {
  return h('span', { class: 'badge badge-' + status }, status);
}

export async function agentsView() {
  const skip = Number(routeQuery().get('skip') || 0);
  const page = await api('/admin/agents?limit=25&skip=' + skip);
  return h(
    'section',
    {},
    h('div', { class: 'title-row' }, h('h1', {}, 'Agents'), h('a', { href: '#/agents/new', class: 'button', id: 'new-agent' }, 'New agent')),
    table(
      'Agents, newest first',
      ['Name', 'Status', 'Grants', 'Key', 'Expires'],
      page.data.map((a) => [
        h('a', { href: '#/agents/' + a.id }, a.name),
        badge(a.status),
        grantsText(a.grants),
        h('code', {}, a.key_prefix + '…'),
        a.expires_at ? timeCell(a.expires_at) : 'never',
      ]),
      'No agents yet. Create one to give a tool or an AI agent its own key.',
    ),
    pager(page, (s) => hrefWith('#/agents', { skip: s })),
  );
}

/** "EUR 50000, GBP:100" → { EUR: 50000, GBP: 100 }; throws naming the bad part. */
function parseAmounts(text, label) {
  const out = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z]{3})\s*[: =]\s*(\d+)$/.exec(part);
    if (!m) throw new Error(label + ': "' + part + '" is not CURRENCY AMOUNT (e.g. EUR 50000)');
    out[m[1].toUpperCase()] = Number(m[2]);
  }
  return Object.keys(out).length ? out : undefined;
}

function grantMatrix() {
  return h(
    'fieldset',
    { class: 'grants' },
    h('legend', {}, 'Grants'),
    h('p', { class: 'hint', id: 'grants-hint' }, 'Per area of the API guide. Write includes read. Use the arrow keys within a row.'),
    h('p', { class: 'hint', id: 'scope-hint' }, 'Objects: own only = just what the agent created through Bollard; any = the whole account. Default: own for write, any for read.'),
    h(
      'table',
      {},
      h('caption', { class: 'visually-hidden' }, 'Access per area'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Area'), ['None', 'Read', 'Write', 'Objects'].map((t) => h('th', { scope: 'col' }, t)))),
      h(
        'tbody',
        {},
        AREAS.map((area) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, area.title),
            ['none', 'read', 'write'].map((level) =>
              h(
                'td',
                {},
                h('input', {
                  type: 'radio',
                  name: 'grant-' + area.id,
                  value: level,
                  id: 'grant-' + area.id + '-' + level,
                  checked: level === 'none',
                  'aria-label': area.title + ': ' + level,
                }),
              ),
            ),
            h(
              'td',
              {},
              h(
                'select',
                { id: 'scope-' + area.id, 'aria-label': area.title + ': objects', 'aria-describedby': 'scope-hint' },
                h('option', { value: '' }, 'default'),
                h('option', { value: 'own' }, 'own only'),
                h('option', { value: 'any' }, 'any'),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

/** The one time a key is on screen: a panel with a copy button; leaving the view drops it. */
function keyPanel(agent, key, heading) {
  const code = h('code', { id: 'agent-key', class: 'secret' }, key);
  const copied = h('span', { role: 'status', class: 'hint' });
  const copy = h('button', { type: 'button', id: 'copy-key' }, 'Copy key');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(key);
      copied.textContent = 'Copied to the clipboard.';
    } catch (_e) {
      const range = document.createRange();
      range.selectNodeContents(code);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      copied.textContent = 'Selected: press Ctrl+C to copy.';
    }
  });
  return h(
    'section',
    {},
    h('h1', {}, heading),
    h('div', { class: 'card key-card' },
      h('p', {}, 'This is the only time the key for ', h('strong', {}, agent.name), ' is shown. Store it in the agent’s secret store now: only its SHA-256 is kept.'),
      h('p', {}, code),
      h('p', {}, copy, ' ', copied),
      h('a', { href: '#/agents/' + agent.id, id: 'key-done', class: 'button' }, 'Done: I have stored the key'),
    ),
  );
}

export function newAgentView() {
  const error = h('div', { id: 'create-error' });
  const form = h(
    'form',
    { id: 'create-agent', class: 'card', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'agent-name' }, 'Name'), h('input', { id: 'agent-name', name: 'name', required: true, maxlength: 100, autocomplete: 'off' })),
    grantMatrix(),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Money limits (minor units; empty = none)'),
      h('div', { class: 'field' }, h('label', { for: 'limit-currencies' }, 'Currencies allowed'), h('input', { id: 'limit-currencies', placeholder: 'EUR, GBP', 'aria-describedby': 'currencies-hint' })),
      h('p', { class: 'hint', id: 'currencies-hint' }, 'ISO codes, comma-separated. Once a cap is set, a currency without one is refused.'),
      h('div', { class: 'field' }, h('label', { for: 'limit-per-call' }, 'Cap per call'), h('input', { id: 'limit-per-call', placeholder: 'EUR 50000, GBP 40000', 'aria-describedby': 'caps-hint' })),
      h('div', { class: 'field' }, h('label', { for: 'limit-per-day' }, 'Cap per UTC day'), h('input', { id: 'limit-per-day', placeholder: 'EUR 200000', 'aria-describedby': 'caps-hint' })),
      h('div', { class: 'field' }, h('label', { for: 'limit-per-7-days' }, 'Cap per rolling 7 days'), h('input', { id: 'limit-per-7-days', placeholder: 'EUR 500000', 'aria-describedby': 'caps-hint' })),
      h('div', { class: 'field' }, h('label', { for: 'limit-per-30-days' }, 'Cap per rolling 30 days'), h('input', { id: 'limit-per-30-days', placeholder: 'EUR 1000000', 'aria-describedby': 'caps-hint' })),
      h('div', { class: 'field' }, h('label', { for: 'limit-lifetime' }, 'Cap over its lifetime'), h('input', { id: 'limit-lifetime', placeholder: 'EUR 5000000', 'aria-describedby': 'caps-hint' })),
      h('div', { class: 'field' }, h('label', { for: 'limit-calls-per-hour' }, 'Money-moving calls per hour'), h('input', { id: 'limit-calls-per-hour', placeholder: '* 100, refundPayment 10' })),
      h('p', { class: 'hint', id: 'caps-hint' }, 'CURRENCY AMOUNT pairs, comma-separated: EUR 50000 is €500.00.'),
    ),
    h('div', { class: 'field' }, h('label', { for: 'expires-at' }, 'Expires (your local time; empty = never)'), h('input', { id: 'expires-at', type: 'datetime-local' })),
    h('button', { type: 'submit', id: 'create-submit' }, 'Create agent'),
    error,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.replaceChildren();
    try {
      const body = { name: form.querySelector('#agent-name').value.trim(), grants: {} };
      const scope = {};
      for (const area of AREAS) {
        const picked = form.querySelector('input[name="grant-' + area.id + '"]:checked');
        if (picked && picked.value !== 'none') body.grants[area.id] = picked.value;
        const objects = form.querySelector('#scope-' + area.id).value;
        if (objects && picked && picked.value !== 'none') scope[area.id] = objects;
      }
      if (Object.keys(scope).length) body.scope = scope;
      const limits = {};
      const currencies = form.querySelector('#limit-currencies').value.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
      if (currencies.length) limits.currencies = currencies;
      const perCall = parseAmounts(form.querySelector('#limit-per-call').value, 'Cap per call');
      const perDay = parseAmounts(form.querySelector('#limit-per-day').value, 'Cap per UTC day');
      if (perCall) limits.max_amount_per_call = perCall;
      if (perDay) limits.max_amount_per_day = perDay;
      const per7 = parseAmounts(form.querySelector('#limit-per-7-days').value, 'Cap per rolling 7 days');
      const per30 = parseAmounts(form.querySelector('#limit-per-30-days').value, 'Cap per rolling 30 days');
      const lifetime = parseAmounts(form.querySelector('#limit-lifetime').value, 'Cap over its lifetime');
      const calls = parseCalls(form.querySelector('#limit-calls-per-hour').value);
      if (per7) limits.max_amount_per_7_days = per7;
      if (per30) limits.max_amount_per_30_days = per30;
      if (lifetime) limits.max_amount_lifetime = lifetime;
      if (calls) limits.max_calls_per_hour = calls;
      if (Object.keys(limits).length) body.limits = limits;
      const expires = localToIso(form.querySelector('#expires-at').value);
      if (expires) body.expires_at = expires;
      const created = await api('/admin/agents', { method: 'POST', body });
      const key = created.key;
      const main = document.getElementById('main');
      main.replaceChildren(keyPanel(created, key, 'Agent created'));
      main.querySelector('h1').setAttribute('tabindex', '-1');
      main.querySelector('h1').focus();
      announce('Agent ' + created.name + ' created');
    } catch (err) {
      error.replaceChildren(errorBox(err));
      error.querySelector('[role=alert]').setAttribute('tabindex', '-1');
      error.querySelector('[role=alert]').focus();
    }
  });
  return h('section', {}, h('h1', {}, 'New agent'), h('p', {}, h('a', { href: '#/agents' }, 'Back to agents')), form);
}

/** Swaps a button row for "are you sure" with Confirm focused; Cancel restores it. */
function confirmStep(slot, text, label, run) {
  const original = [...slot.childNodes];
  const confirm = h('button', { type: 'button', class: 'danger', id: 'confirm-action' }, label);
  const cancel = h('button', { type: 'button', id: 'cancel-action' }, 'Cancel');
  cancel.addEventListener('click', () => {
    slot.replaceChildren(...original);
    original[0].focus();
  });
  confirm.addEventListener('click', async () => {
    confirm.disabled = true;
    try {
      await run();
    } catch (err) {
      slot.replaceChildren(errorBox(err), ...original);
    }
  });
  slot.replaceChildren(h('p', {}, text), confirm, ' ', cancel);
  confirm.focus();
}

export async function agentView(id) {
  const auditPath = '/admin/audit?agent_id=' + encodeURIComponent(id);
  const [agent, head] = await Promise.all([api('/admin/agents/' + encodeURIComponent(id)), api(auditPath + '&limit=1')]);
  // The log pages in sequence order: the last 20 records are the recent calls, shown newest first.
  const recent = await api(auditPath + '&limit=20&skip=' + Math.max(0, head.total_count - 20));
  const calls = { data: recent.data.slice().reverse() };
  const actions = h('div', { class: 'actions', id: 'agent-actions' });
  const rotate = h('button', { type: 'button', id: 'rotate-key', disabled: agent.status === 'revoked' }, 'Rotate key');
  const revoke = h('button', { type: 'button', id: 'revoke-agent', class: 'danger', disabled: agent.status === 'revoked' }, 'Revoke');
  const revokeVoid = h('button', { type: 'button', id: 'revoke-void-agent', class: 'danger', disabled: agent.status === 'revoked' }, 'Revoke and void open authorisations');
  actions.append(rotate, ' ', revoke, ' ', revokeVoid);
  rotate.addEventListener('click', () =>
    confirmStep(actions, 'Rotating ends the current key at once; the agent needs the new one.', 'Confirm: rotate key', async () => {
      const issued = await api('/admin/agents/' + encodeURIComponent(id) + '/rotate', { method: 'POST' });
      const main = document.getElementById('main');
      main.replaceChildren(keyPanel(issued, issued.key, 'Key rotated'));
      main.querySelector('h1').setAttribute('tabindex', '-1');
      main.querySelector('h1').focus();
      announce('Key rotated');
    }),
  );
  revoke.addEventListener('click', () =>
    confirmStep(actions, 'Revoking refuses the agent’s very next call. It cannot be undone.', 'Confirm: revoke', async () => {
      await api('/admin/agents/' + encodeURIComponent(id), { method: 'DELETE' });
      announce('Agent revoked');
      const { agentView: again } = await import('/admin/console/agents.js');
      const view = await again(id);
      const main = document.getElementById('main');
      main.replaceChildren(view);
      main.querySelector('h1').setAttribute('tabindex', '-1');
      main.querySelector('h1').focus();
    }),
  );
  revokeVoid.addEventListener('click', () =>
    confirmStep(actions, 'Revoking refuses the agent’s very next call; then each of its own payments still authorised and uncaptured is voided. It cannot be undone.', 'Confirm: revoke and void', async () => {
      const done = await api('/admin/agents/' + encodeURIComponent(id) + '/revoke', { method: 'POST', body: { void_open_authorizations: true } });
      const v = done.voids || { voided: [], not_voided: [], remaining: 0 };
      const summary = 'Agent revoked; voided ' + v.voided.length + ', not voided ' + v.not_voided.length + (v.remaining ? ', ' + v.remaining + ' left: run it again' : '');
      announce(summary);
      const { agentView: again } = await import('/admin/console/agents.js');
      const view = await again(id);
      view.insertBefore(
        h('div', { class: 'card', id: 'void-report', role: 'status' },
          h('p', {}, summary),
          h('ul', {}, [
            ...v.voided.map((x) => h('li', {}, h('code', {}, x.payment_id), ' voided')),
            ...v.not_voided.map((x) => h('li', {}, h('code', {}, x.payment_id), ' not voided: ' + x.reason + (x.status ? ' (' + x.status + ')' : ''))),
          ]),
        ),
        view.children[2] || null,
      );
      const main = document.getElementById('main');
      main.replaceChildren(view);
      main.querySelector('h1').setAttribute('tabindex', '-1');
      main.querySelector('h1').focus();
    }),
  );
  const spent = amountsText(agent.spent_today);
  const windows = agent.spent || {};
  return h(
    'section',
    {},
    h('h1', {}, agent.name),
    h('p', {}, h('a', { href: '#/agents' }, 'Back to agents')),
    facts([
      ['ID', h('code', {}, agent.id)],
      ['Status', badge(agent.status)],
      ['Key', h('code', {}, agent.key_prefix + '…')],
      ['Key issued', timeCell(agent.key_issued_on)],
      ['Created', timeCell(agent.created_on)],
      ['Expires', agent.expires_at ? timeCell(agent.expires_at) : 'never'],
      ['Revoked', agent.revoked_on ? timeCell(agent.revoked_on) : 'no'],
      ['Grants', grantsText(agent.grants)],
      ['Objects', scopeText(agent.scope)],
      ['Limits', limitsText(agent.limits)],
      ['Spent today (UTC)', spent || 'nothing'],
      ['Spent, last 7 days', amountsText(windows.last_7_days) || 'nothing'],
      ['Spent, last 30 days', amountsText(windows.last_30_days) || 'nothing'],
      ['Spent, lifetime', amountsText(windows.lifetime) || 'nothing'],
      ['Money-moving calls, last hour', countsText(windows.calls_last_hour) || 'none'],
      ['Owns', countsText((agent.objects || {}).owned) || 'nothing yet'],
    ]),
    actions,
    h('h2', {}, 'Recent calls'),
    table(
      'The agent’s last 20 calls, newest first',
      ['Time', 'Call', 'Decision', 'Reason', 'Upstream', 'Latency'],
      calls.data.map((r) => [
        timeCell(r.at),
        (r.entry || '—') + (r.path_template ? ' (' + r.method + ' ' + r.path_template + ')' : ''),
        h('span', { class: 'badge badge-' + r.decision }, r.decision),
        r.reason,
        r.upstream_status === null ? '—' : String(r.upstream_status),
        r.latency_ms + ' ms',
      ]),
      'No calls yet.',
    ),
    h('p', {}, h('a', { href: hrefWith('#/audit', { agent: id }) }, 'All of this agent’s calls in the audit log')),
  );
}
`;
