/**
 * `/admin/console/audit.js`: the audit log — filters (agent, area, decision, time), paging, the hash
 * chain verified with its result on screen, and the NDJSON export of the same filter.
 */
export const AUDIT_JS = `import {
  AREAS, api, errorBox, go, h, hrefWith, inputField, isoToLocal, localToIso, pager, routeQuery, selectField, table, timeCell,
} from '/admin/console/lib.js';

const PAGE = 50;

export async function auditView() {
  const q = routeQuery();
  const filter = {
    agent: q.get('agent') || '',
    area: q.get('area') || '',
    decision: q.get('decision') || '',
    from: q.get('from') || '',
    to: q.get('to') || '',
  };
  const skip = Number(q.get('skip') || 0);
  const page = await api(hrefWith('/admin/audit', Object.assign({ limit: PAGE, skip }, filter)));

  const form = h(
    'form',
    { id: 'audit-filter', class: 'filters', 'aria-label': 'Filter the audit log' },
    inputField('audit-agent', 'Agent id', { value: filter.agent, placeholder: 'agt_…', autocomplete: 'off' }),
    selectField('audit-area', 'Area', [['', 'Any area']].concat(AREAS.map((a) => [a.id, a.title])), filter.area),
    selectField('audit-decision', 'Decision', [['', 'Any decision'], ['allowed', 'allowed'], ['denied', 'denied'], ['failed', 'failed']], filter.decision),
    inputField('audit-from', 'From (local time)', { type: 'datetime-local', value: isoToLocal(filter.from) }),
    inputField('audit-to', 'To (local time)', { type: 'datetime-local', value: isoToLocal(filter.to) }),
    h('button', { type: 'submit' }, 'Apply filters'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    go(hrefWith('#/audit', {
      agent: form.querySelector('#audit-agent').value.trim(),
      area: form.querySelector('#audit-area').value,
      decision: form.querySelector('#audit-decision').value,
      from: localToIso(form.querySelector('#audit-from').value),
      to: localToIso(form.querySelector('#audit-to').value),
    }));
  });

  const verifyResult = h('div', { id: 'verify-result', role: 'status' });
  const verify = h('button', { type: 'button', id: 'verify-chain' }, 'Verify the hash chain');
  verify.addEventListener('click', async () => {
    verify.disabled = true;
    verifyResult.replaceChildren(h('p', {}, 'Verifying…'));
    try {
      // With an agent filter, that agent's chain; else every chain (from their verified checkpoints).
      const v = await api(hrefWith('/admin/audit/verify', { agent: filter.agent }));
      const head = typeof v.head === 'string' ? v.head : v.head && v.head.hash;
      const scope = filter.agent ? 'the chain of ' + filter.agent : v.chains !== undefined ? v.chains + ' chains' : 'the log';
      verifyResult.replaceChildren(
        v.valid
          ? h('p', { class: 'ok', dataset: { valid: 'true' } }, 'Chain valid: ' + v.count + ' records in ' + scope + '. Head ', h('code', {}, head || '—'), ' (keep it elsewhere to detect truncation).')
          : h('p', { class: 'error', dataset: { valid: 'false' } }, 'Chain broken' + (v.invalid_chain ? ' in ' + v.invalid_chain : '') + ' at record ' + v.first_invalid_seq + '.'),
      );
    } catch (err) {
      verifyResult.replaceChildren(errorBox(err));
    } finally {
      verify.disabled = false;
    }
  });

  const exportHref = hrefWith('/admin/audit/export', filter);
  return h(
    'section',
    {},
    h('h1', {}, 'Audit log'),
    form,
    h('div', { class: 'actions' }, verify, ' ', h('a', { href: exportHref, download: 'bollard-audit.ndjson', id: 'export-ndjson', class: 'button' }, 'Export NDJSON')),
    verifyResult,
    table(
      'Audit records, in sequence order',
      ['Seq in its chain', 'Time', 'Agent', 'Channel', 'Call', 'Decision', 'Reason', 'Upstream', 'Latency', 'Amount'],
      page.data.map((r) => [
        String(r.seq),
        timeCell(r.at),
        r.agent_id ? h('a', { href: '#/agents/' + r.agent_id }, r.agent_name || r.agent_id) : 'unauthenticated',
        r.channel,
        (r.entry || '—') + (r.path_template ? ' (' + r.method + ' ' + r.path_template + ')' : ''),
        h('span', { class: 'badge badge-' + r.decision }, r.decision),
        r.reason,
        r.upstream_status === null ? '—' : String(r.upstream_status),
        r.latency_ms + ' ms',
        r.amount === null ? '—' : r.amount + ' ' + (r.currency || ''),
      ]),
      'No records match.',
    ),
    pager(page, (s) => hrefWith('#/audit', Object.assign({}, filter, { skip: s }))),
  );
}
`;
