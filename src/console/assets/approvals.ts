/**
 * `/admin/console/approvals.js`: the agents' calls waiting for a person — agent, method, amount and
 * currency, the body with card data redacted (as the API gives it), when each was requested and when it
 * expires — and the decision: approve, or decline with a reason. Either one asks for the chosen approver's
 * passkey (`POST /admin/approvals/{id}/challenge`, then `navigator.credentials.get`), then posts it.
 */
export const APPROVALS_JS = `import { announce, api, errorBox, facts, go, h, minor, timeCell } from '/admin/console/lib.js';
import { getPasskey } from '/admin/console/passkeys.js';

let flash = null;

function showError(slot, err) {
  slot.replaceChildren(errorBox(err));
  const alert = slot.querySelector('[role=alert]');
  alert.setAttribute('tabindex', '-1');
  alert.focus();
}

function decisionsText(a) {
  const approvals = (a.decisions || []).filter((d) => d.decision === 'approve');
  const names = approvals.map((d) => d.approver_name).join(', ');
  return approvals.length + ' of ' + a.approvers_required + (names ? ' (' + names + ')' : '');
}

async function decide(a, decision, approverId, reason) {
  const path = '/admin/approvals/' + encodeURIComponent(a.id);
  const options = await api(path + '/challenge', { method: 'POST', body: { approver_id: approverId } });
  const assertion = await getPasskey(options);
  const body = { approver_id: approverId, assertion };
  if (decision === 'decline') body.reason = reason;
  return api(path + '/' + decision, { method: 'POST', body });
}

function approvalCard(a, approvers, n) {
  const key = 'a' + n;
  const error = h('div', { id: 'decide-error-' + key });
  const approver = h('select', { id: 'approver-' + key, name: 'approver' }, approvers.map((p) => h('option', { value: p.id }, p.name)));
  const reason = h('input', { id: 'reason-' + key, name: 'reason', maxlength: 500, autocomplete: 'off', 'aria-describedby': 'reason-hint-' + key });
  const approve = h('button', { type: 'button', class: 'approve', id: 'approve-' + key, disabled: approvers.length === 0 }, 'Approve');
  const decline = h('button', { type: 'button', class: 'danger decline', id: 'decline-' + key, disabled: approvers.length === 0 }, 'Decline');
  const run = async (decision) => {
    error.replaceChildren();
    const why = reason.value.trim();
    if (decision === 'decline' && !why) {
      showError(error, new Error('Say why it is declined: the agent and the audit log get the reason.'));
      reason.focus();
      return;
    }
    approve.disabled = true;
    decline.disabled = true;
    try {
      const after = await decide(a, decision, approver.value, why);
      // The decision's answer is the approval (its status), possibly wrapped as { approval }.
      const status = after && (after.status || (after.approval && after.approval.status));
      flash =
        decision === 'decline'
          ? 'Declined: ' + a.method + ' for ' + a.agent_name + '.'
          : status === 'pending'
            ? 'Approval recorded for ' + a.method + ': it needs a second, different approver.'
            : 'Approved: ' + a.method + ' for ' + a.agent_name + '. The agent may now re-send it.';
      go('#/approvals');
    } catch (err) {
      approve.disabled = false;
      decline.disabled = false;
      showError(error, err);
    }
  };
  approve.addEventListener('click', () => run('approve'));
  decline.addEventListener('click', () => run('decline'));
  const heading = 'h-' + key;
  return h(
    'article',
    { class: 'card approval', 'aria-labelledby': heading, 'data-approval-id': a.id },
    h('h2', { id: heading }, a.method + ' — ' + minor(a.amount, a.currency)),
    facts([
      ['Agent', h('span', {}, a.agent_name + ' ', h('code', {}, a.agent_id))],
      ['Method', a.method],
      ['Path', h('code', {}, a.path)],
      ['Amount', minor(a.amount, a.currency)],
      ['Requested', timeCell(a.requested_at)],
      ['Expires', timeCell(a.expires_at)],
      ['Approvals', decisionsText(a)],
      ['Idempotency key', h('code', {}, a.idempotency_key)],
    ]),
    h('details', {}, h('summary', {}, 'Request body (card data redacted)'), h('pre', { class: 'json' }, JSON.stringify(a.body_redacted, null, 2))),
    h(
      'fieldset',
      { class: 'decide' },
      h('legend', {}, 'Decide'),
      h('div', { class: 'field' }, h('label', { for: 'approver-' + key }, 'Approver (their passkey is asked for)'), approver),
      h('div', { class: 'field' }, h('label', { for: 'reason-' + key }, 'Reason (needed to decline)'), reason),
      h('p', { class: 'hint', id: 'reason-hint-' + key }, 'The agent gets the reason with its refusal; the audit log keeps it.'),
      h('div', { class: 'actions' }, approve, decline),
      error,
    ),
  );
}

export async function approvalsView() {
  const [page, approvers] = await Promise.all([api('/admin/approvals?status=pending'), api('/admin/approvers')]);
  const said = flash;
  flash = null;
  if (said) announce(said);
  return h(
    'section',
    {},
    h('h1', {}, 'Approvals'),
    said ? h('p', { class: 'notice', id: 'approvals-flash' }, said) : null,
    h('p', {}, 'Agents’ calls that wait for a person. Each approval covers that exact request (agent, method, path, body and idempotency key); the agent re-sends it to run it, once.'),
    approvers.data.length === 0
      ? h('p', { class: 'notice', id: 'no-approvers' }, 'No approver is registered yet, so nothing can be approved: ', h('a', { href: '#/approvers' }, 'register one'), '.')
      : null,
    page.data.length === 0
      ? h('p', { class: 'empty' }, 'Nothing is waiting for approval.')
      : h('div', { class: 'approvals' }, page.data.map((a, n) => approvalCard(a, approvers.data, n))),
  );
}
`;
