/**
 * `/admin/console/events.js`: the webhook inbox — events with filters, search by event, payment or
 * dispute id, one event with its handler runs and a replay button, the timeline of a payment or a
 * dispute (ordered by event time), dead letters with replay, and the quarantine.
 */
export const EVENTS_JS = `import {
  EVENT_TYPES, announce, api, errorBox, facts, go, h, hrefWith, inputField, pager, routeQuery, selectField, table, timeCell,
} from '/admin/console/lib.js';

const PAGE = 50;
const STATUSES = ['pending', 'retrying', 'processed', 'dead_lettered'];

function subjectLink(subject) {
  if (subject.startsWith('pay_')) return h('a', { href: '#/payments/' + subject }, subject);
  if (subject.startsWith('dsp_')) return h('a', { href: '#/disputes/' + subject }, subject);
  return h('code', {}, subject);
}

function statusBadge(status) {
  return h('span', { class: 'badge badge-' + status }, status);
}

function replayButton(id, label) {
  const result = h('span', { role: 'status', class: 'hint' });
  const button = h('button', { type: 'button', class: 'replay', dataset: { eventId: id }, 'aria-label': label || 'Replay ' + id }, 'Replay');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const r = await api('/admin/events/' + id + '/replay', { method: 'POST' });
      result.textContent = 'Replay ' + r.replay + ' started (' + (r.handlers.length ? r.handlers.join(', ') : 'no handlers') + ').';
      announce('Replay started for ' + id);
    } catch (err) {
      result.replaceChildren(errorBox(err));
    } finally {
      button.disabled = false;
    }
  });
  return h('span', { class: 'replay-cell' }, button, ' ', result);
}

function searchForm() {
  const error = h('div');
  const form = h(
    'form',
    { id: 'event-search', class: 'filters', role: 'search', 'aria-label': 'Find by id' },
    inputField('search-id', 'Event, payment or dispute id', { placeholder: 'evt_…, pay_… or dsp_…', autocomplete: 'off' }),
    h('button', { type: 'submit' }, 'Find'),
    error,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const id = form.querySelector('#search-id').value.trim();
    error.replaceChildren();
    if (/^evt_[A-Za-z0-9]+$/.test(id)) go('#/events/' + id);
    else if (/^pay_[A-Za-z0-9]+$/.test(id)) go('#/payments/' + id);
    else if (/^dsp_[A-Za-z0-9]+$/.test(id)) go('#/disputes/' + id);
    else error.replaceChildren(errorBox(new Error('Enter an id starting with evt_, pay_ or dsp_.')));
  });
  return form;
}

function eventRows(data) {
  return data.map((e) => [
    timeCell(e.received_at),
    h('a', { href: '#/events/' + e.id }, e.id),
    e.type,
    subjectLink(e.subject),
    statusBadge(e.status),
    String(e.deliveries),
    String(e.replays),
    e.dead_handlers.length ? e.dead_handlers.join(', ') : '—',
  ]);
}

const EVENT_COLUMNS = ['Received', 'Event', 'Type', 'Subject', 'Status', 'Deliveries', 'Replays', 'Dead handlers'];

export async function eventsView() {
  const q = routeQuery();
  const filter = { type: q.get('type') || '', status: q.get('status') || '', subject: q.get('subject') || '' };
  const skip = Number(q.get('skip') || 0);
  const page = await api(hrefWith('/admin/events', Object.assign({ limit: PAGE, skip }, filter)));
  const form = h(
    'form',
    { id: 'event-filter', class: 'filters', 'aria-label': 'Filter events' },
    selectField('filter-type', 'Type', [['', 'Any type']].concat(EVENT_TYPES.map((t) => [t, t])), filter.type),
    selectField('filter-status', 'Status', [['', 'Any status']].concat(STATUSES.map((s) => [s, s])), filter.status),
    inputField('filter-subject', 'Payment or dispute', { value: filter.subject, placeholder: 'pay_… or dsp_…', autocomplete: 'off' }),
    h('button', { type: 'submit' }, 'Apply filters'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    go(hrefWith('#/events', {
      type: form.querySelector('#filter-type').value,
      status: form.querySelector('#filter-status').value,
      subject: form.querySelector('#filter-subject').value.trim(),
    }));
  });
  return h(
    'section',
    {},
    h('h1', {}, 'Webhook inbox'),
    searchForm(),
    form,
    h('p', { class: 'hint' }, 'The list trails deliveries by about a second; an event is found by id at once.'),
    table('Events, newest first', EVENT_COLUMNS, eventRows(page.data), 'No events match.'),
    pager(page, (s) => hrefWith('#/events', Object.assign({}, filter, { skip: s }))),
  );
}

export async function eventView(id) {
  const e = await api('/admin/events/' + id);
  return h(
    'section',
    {},
    h('h1', {}, 'Event ' + e.id),
    h('p', {}, h('a', { href: '#/events' }, 'Back to the inbox')),
    facts([
      ['Type', e.type + (e.known ? '' : ' (unknown type, stored as delivered)')],
      ['Subject', subjectLink(e.subject)],
      ['Status', statusBadge(e.status)],
      ['Created (event time)', h('code', {}, e.created_on)],
      ['Received', timeCell(e.received_at)],
      ['Deliveries', String(e.deliveries)],
      ['Replays', String(e.replays)],
      ['Dead handlers', e.dead_handlers.length ? e.dead_handlers.join(', ') : 'none'],
    ]),
    h('div', { class: 'actions' }, replayButton(e.id, 'Replay this event’s handlers')),
    h('h2', {}, 'Handler runs'),
    table(
      'Every handler run, by replay',
      ['Handler', 'Replay', 'Status', 'Attempts', 'Next attempt', 'Finished', 'Last error'],
      e.runs.map((r) => [r.handler, String(r.replay), statusBadge(r.status), String(r.attempts), timeCell(r.next_attempt_at), timeCell(r.finished_at), r.last_error || '—']),
      'No handler is registered for this type.',
    ),
    h('h2', {}, 'The event (redacted)'),
    h('pre', { class: 'json', tabindex: '0', 'aria-label': 'Event JSON' }, JSON.stringify(e.event, null, 2)),
  );
}

export async function subjectView(kind, id) {
  const path = kind === 'payment' ? '/admin/payments/' : '/admin/disputes/';
  let projection = null;
  let missing = null;
  try {
    projection = await api(path + id);
  } catch (err) {
    if (err.status !== 404) throw err;
    missing = err;
  }
  const events = await api(hrefWith('/admin/events', { subject: id, limit: 250 }));
  const title = (kind === 'payment' ? 'Payment ' : 'Dispute ') + id;
  if (!projection)
    return h('section', {}, h('h1', {}, title), h('p', {}, 'No events recorded for this ' + kind + ' yet.'), missing ? errorBox(missing) : null);
  const summary =
    kind === 'payment'
      ? facts([
          ['Status', statusBadge(projection.status)],
          ['Currency', projection.currency],
          ['Reference', projection.reference],
          ['Authorized', String(projection.amount_authorized)],
          ['Captured', String(projection.amount_captured)],
          ['Refunded', String(projection.amount_refunded)],
          ['Voided', String(projection.amount_voided)],
          ['Response code', projection.response_code],
          ['Events', String(projection.events)],
        ])
      : facts([
          ['Status', statusBadge(projection.status)],
          ['Payment', projection.payment_id ? subjectLink(projection.payment_id) : null],
          ['Amount', projection.amount === null ? null : projection.amount + ' ' + (projection.currency || '')],
          ['Category', projection.category],
          ['Reason code', projection.reason_code],
          ['Evidence required by', projection.evidence_required_by],
          ['Events', String(projection.events)],
        ]);
  return h(
    'section',
    {},
    h('h1', {}, title),
    h('p', {}, h('a', { href: '#/events' }, 'Back to the inbox')),
    summary,
    h('h2', {}, 'Timeline (by event time)'),
    h(
      'ol',
      { class: 'timeline', id: 'timeline' },
      projection.timeline.map((t) =>
        h(
          'li',
          { dataset: { type: t.type, eventId: t.event_id } },
          h('code', {}, t.created_on),
          ' ',
          h('a', { href: '#/events/' + t.event_id }, t.type),
          t.amount !== undefined ? ' — ' + t.amount : '',
        ),
      ),
    ),
    h('h2', {}, 'Deliveries'),
    table('Its events as received, newest first', EVENT_COLUMNS, eventRows(events.data), 'None listed yet.'),
  );
}

export async function deadLettersView() {
  const skip = Number(routeQuery().get('skip') || 0);
  const page = await api(hrefWith('/admin/dead-letters', { limit: PAGE, skip }));
  return h(
    'section',
    {},
    h('h1', {}, 'Dead letters'),
    h('p', {}, 'Events whose handler ran out of attempts. Fix the cause, then replay.'),
    table(
      'Dead-lettered events, newest first',
      ['Received', 'Event', 'Type', 'Subject', 'Dead handlers', 'Replay'],
      page.data.map((e) => [
        timeCell(e.received_at),
        h('a', { href: '#/events/' + e.id }, e.id),
        e.type,
        subjectLink(e.subject),
        e.dead_handlers.join(', '),
        replayButton(e.id),
      ]),
      'No dead letters.',
    ),
    pager(page, (s) => hrefWith('#/dead-letters', { skip: s })),
  );
}

export async function quarantineView() {
  const skip = Number(routeQuery().get('skip') || 0);
  const page = await api(hrefWith('/admin/quarantine', { limit: PAGE, skip }));
  return h(
    'section',
    {},
    h('h1', {}, 'Quarantine'),
    h('p', {}, 'Signed deliveries that failed validation: acknowledged, one entry per distinct body. Re-drive them from Checkout.com once a release accepts the shape.'),
    table(
      'Quarantined bodies, newest first',
      ['First received', 'Last received', 'Deliveries', 'Size', 'Reason', 'Codes', 'Preview'],
      page.data.map((q) => [
        timeCell(q.received_at),
        timeCell(q.last_received_at),
        String(q.deliveries),
        q.size + ' bytes',
        q.reason,
        q.codes.join(', '),
        h('details', {}, h('summary', {}, 'Preview (redacted)'), h('pre', { class: 'json' }, q.preview)),
      ]),
      'Nothing quarantined.',
    ),
    pager(page, (s) => hrefWith('#/quarantine', { skip: s })),
  );
}
`;
