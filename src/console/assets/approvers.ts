/**
 * `/admin/console/approvers.js`: approvers — the people whose passkey approves an agent's call. The list,
 * registering a passkey under a name (with an existing approver's consent once there is one), testing a
 * passkey, and removal (with an approver's passkey). Every ceremony runs `navigator.credentials` here, in
 * the operator's browser; the server checks the answer (src/approvers).
 */
export const APPROVERS_JS = `import { announce, api, errorBox, go, h, table, timeCell } from '/admin/console/lib.js';
import { createPasskey, getPasskey } from '/admin/console/passkeys.js';

/** What the next render says first (a registration or removal re-renders the view). */
let flash = null;

function approverOptions(list, selected) {
  return list.map((a) => h('option', { value: a.id, selected: a.id === selected }, a.name));
}

function kind(a) {
  return a.device_type === 'multiDevice' ? 'Synced passkey' : 'Device-bound passkey';
}

const ENROLLMENT_HINTS = {
  first: 'There is no approver yet: the first one is registered with your admin sign-in alone. Register yours now.',
  sponsored: 'An existing approver confirms each new one with their passkey, so that an admin sign-in alone cannot add an approver.',
  open: 'Open enrollment is on (APPROVERS_OPEN_ENROLLMENT): approvers are added and removed without a passkey. Turn it off once the repair is done.',
};

function showError(slot, err) {
  slot.replaceChildren(errorBox(err));
  const alert = slot.querySelector('[role=alert]');
  alert.setAttribute('tabindex', '-1');
  alert.focus();
}

function registerForm(list, enrollment) {
  const error = h('div', { id: 'register-error' });
  const sponsor =
    enrollment === 'sponsored'
      ? h(
          'div',
          { class: 'field' },
          h('label', { for: 'sponsor' }, 'Confirmed by'),
          h('select', { id: 'sponsor', name: 'sponsor', 'aria-describedby': 'sponsor-hint' }, approverOptions(list, list[0] && list[0].id)),
          h('p', { class: 'hint', id: 'sponsor-hint' }, 'That approver’s passkey is asked for after the new one is made (within five minutes).'),
        )
      : null;
  const submit = h('button', { type: 'submit', id: 'register-submit' }, 'Register passkey');
  const form = h(
    'form',
    { id: 'register-approver', class: 'card', novalidate: true },
    h('p', { class: 'hint', id: 'enrollment-hint' }, ENROLLMENT_HINTS[enrollment] || ''),
    h('div', { class: 'field' }, h('label', { for: 'approver-name' }, 'Name'), h('input', { id: 'approver-name', name: 'name', required: true, maxlength: 100, autocomplete: 'off', 'aria-describedby': 'name-hint' })),
    h('p', { class: 'hint', id: 'name-hint' }, 'The person, as approvals will name them (e.g. "Ada Lovelace, finance").'),
    sponsor,
    submit,
    error,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.replaceChildren();
    const name = form.querySelector('#approver-name').value.trim();
    if (!name) {
      showError(error, new Error('Enter the approver’s name.'));
      return;
    }
    const sponsorId = sponsor ? form.querySelector('#sponsor').value : undefined;
    submit.disabled = true;
    try {
      const options = await api('/admin/approvers/registration-options', { method: 'POST', body: { name } });
      announce('Use the new approver’s passkey');
      const registration = await createPasskey(options.registration);
      let created = await api('/admin/approvers', { method: 'POST', body: { name, registration } });
      if (created.status === 'awaiting_sponsor') {
        if (!sponsorId) throw new Error('An existing approver must confirm the new one: reload the page and choose who confirms.');
        // The consent names the new approver and the very passkey just registered.
        const path = '/admin/approvers/' + encodeURIComponent(created.id);
        const consent = await api(path + '/challenge', { method: 'POST', body: { approver_id: sponsorId, purpose: 'sponsor' } });
        announce('Now the confirming approver’s passkey');
        const assertion = await getPasskey(consent);
        created = await api(path + '/sponsor', { method: 'POST', body: { approver_id: sponsorId, assertion } });
      }
      flash = 'Approver ' + created.name + ' registered.';
      go('#/approvers');
    } catch (err) {
      submit.disabled = false;
      showError(error, err);
    }
  });
  return form;
}

async function testPasskey(a, slot) {
  slot.replaceChildren();
  try {
    const options = await api('/admin/approvers/' + encodeURIComponent(a.id) + '/challenge', { method: 'POST', body: { approver_id: a.id, purpose: 'test' } });
    const assertion = await getPasskey(options);
    await api('/admin/approvers/' + encodeURIComponent(a.id) + '/test', { method: 'POST', body: { assertion } });
    slot.replaceChildren(h('p', { class: 'ok', role: 'status' }, 'The passkey of ' + a.name + ' works here.'));
  } catch (err) {
    showError(slot, err);
  }
}

/** Swaps the row's buttons for "confirmed by" and Confirm / Cancel, Confirm focused. */
function confirmRemoval(a, list, enrollment, cell) {
  const original = [...cell.childNodes];
  const error = h('div', {});
  const by = enrollment === 'open' ? null : h('select', { id: 'remove-by', 'aria-label': 'Removal confirmed by' }, approverOptions(list, a.id));
  const confirm = h('button', { type: 'button', class: 'danger', id: 'confirm-remove' }, 'Confirm: remove ' + a.name);
  const cancel = h('button', { type: 'button', id: 'cancel-remove' }, 'Cancel');
  cancel.addEventListener('click', () => {
    cell.replaceChildren(...original);
    original[0].focus();
  });
  confirm.addEventListener('click', async () => {
    confirm.disabled = true;
    try {
      let body;
      if (by) {
        const options = await api('/admin/approvers/' + encodeURIComponent(a.id) + '/challenge', { method: 'POST', body: { approver_id: by.value, purpose: 'remove' } });
        body = { approver_id: by.value, assertion: await getPasskey(options) };
      }
      await api('/admin/approvers/' + encodeURIComponent(a.id), { method: 'DELETE', body });
      flash = 'Approver ' + a.name + ' removed.';
      go('#/approvers');
    } catch (err) {
      confirm.disabled = false;
      showError(error, err);
    }
  });
  cell.replaceChildren(
    h('p', {}, 'Removing ' + a.name + ' means their passkey approves nothing any more.' + (by ? ' An approver confirms with their passkey:' : '')),
    by,
    ' ',
    confirm,
    ' ',
    cancel,
    error,
  );
  confirm.focus();
}

export async function approversView() {
  const list = await api('/admin/approvers');
  const said = flash;
  flash = null;
  if (said) announce(said);
  const rows = list.data.map((a) => {
    const result = h('div', { class: 'test-result', id: 'test-result-' + a.id });
    const test = h('button', { type: 'button', id: 'test-' + a.id }, 'Test passkey');
    const remove = h('button', { type: 'button', class: 'danger', id: 'remove-' + a.id }, 'Remove');
    const cell = h('div', { class: 'actions' }, test, ' ', remove);
    test.addEventListener('click', () => testPasskey(a, result));
    remove.addEventListener('click', () => confirmRemoval(a, list.data, list.enrollment, cell));
    return [
      h('span', { 'data-approver-id': a.id }, a.name),
      h('code', { title: a.credential_id }, a.credential_id.slice(0, 12) + '…'),
      kind(a),
      timeCell(a.created_at),
      a.last_used_at ? timeCell(a.last_used_at) : 'never',
      h('div', {}, cell, result),
    ];
  });
  return h(
    'section',
    {},
    h('h1', {}, 'Approvers'),
    said ? h('p', { class: 'notice', id: 'approvers-flash' }, said) : null,
    h('p', {}, 'Approvers decide the agents’ calls that wait for a person (', h('a', { href: '#/approvals' }, 'Approvals'), '). Each has one passkey; every decision asks for it with user verification (a PIN, fingerprint or face), so an admin sign-in alone cannot approve.'),
    table('Registered approvers', ['Name', 'Passkey', 'Kind', 'Registered', 'Last used', 'Actions'], rows, 'No approver yet.'),
    h('h2', {}, 'Register an approver'),
    registerForm(list.data, list.enrollment),
  );
}
`;
