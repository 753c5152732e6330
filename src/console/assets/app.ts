/**
 * `/admin/console/app.js`: the console's entry — session (sign in, sign out, expiry), the hash router,
 * and focus management so the console works from the keyboard alone: every navigation moves focus to
 * the new view's heading.
 */
export const APP_JS = String.raw`import { api, announce, errorBox, h, onUnauthorized, setCsrfToken } from '/admin/console/lib.js';

const main = document.getElementById('main');
let session = null;

const ROUTES = [
  [/^#\/agents\/new$/, () => import('/admin/console/agents.js').then((m) => m.newAgentView())],
  [/^#\/agents\/(agt_[A-Za-z0-9_-]+)$/, (m) => import('/admin/console/agents.js').then((v) => v.agentView(m[1]))],
  [/^#\/agents(\?.*)?$/, () => import('/admin/console/agents.js').then((m) => m.agentsView())],
  [/^#\/approvals$/, () => import('/admin/console/approvals.js').then((m) => m.approvalsView())],
  [/^#\/approvers$/, () => import('/admin/console/approvers.js').then((m) => m.approversView())],
  [/^#\/audit(\?.*)?$/, () => import('/admin/console/audit.js').then((m) => m.auditView())],
  [/^#\/events\/(evt_[A-Za-z0-9]+)$/, (m) => import('/admin/console/events.js').then((v) => v.eventView(m[1]))],
  [/^#\/events(\?.*)?$/, () => import('/admin/console/events.js').then((m) => m.eventsView())],
  [/^#\/payments\/(pay_[A-Za-z0-9]+)$/, (m) => import('/admin/console/events.js').then((v) => v.subjectView('payment', m[1]))],
  [/^#\/disputes\/(dsp_[A-Za-z0-9]+)$/, (m) => import('/admin/console/events.js').then((v) => v.subjectView('dispute', m[1]))],
  [/^#\/dead-letters(\?.*)?$/, () => import('/admin/console/events.js').then((m) => m.deadLettersView())],
  [/^#\/quarantine(\?.*)?$/, () => import('/admin/console/events.js').then((m) => m.quarantineView())],
  [/^#\/health$/, () => import('/admin/console/health.js').then((m) => m.healthView())],
];

/** Shows a view: replaces the main region, titles the page and moves focus to its heading. */
function show(view) {
  main.replaceChildren(view);
  const heading = main.querySelector('h1');
  document.title = (heading ? heading.textContent + ' — ' : '') + 'Bollard console';
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }
}

function markCurrent() {
  const hash = location.hash.split('?')[0];
  for (const a of document.querySelectorAll('#nav a')) {
    const href = a.getAttribute('href');
    if (hash === href || hash.startsWith(href + '/')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function route() {
  if (!session) return;
  const hash = location.hash || '';
  if (!hash.startsWith('#/')) {
    if (hash === '' || hash === '#') location.replace('#/agents');
    return;
  }
  markCurrent();
  const found = ROUTES.find(([re]) => re.test(hash));
  if (!found) {
    show(h('section', {}, h('h1', {}, 'Not found'), h('p', {}, 'No such page. '), h('a', { href: '#/agents' }, 'Go to agents')));
    return;
  }
  main.setAttribute('aria-busy', 'true');
  try {
    const view = await found[1](hash.match(found[0]));
    // A later navigation may have superseded this one while it loaded.
    if (location.hash === hash) {
      show(view);
      // Which route the main region now shows, and how many views it has shown: a test (or an
      // extension) waits for the view its own action produced rather than whatever is on screen.
      main.dataset.route = hash;
      main.dataset.shown = String(Number(main.dataset.shown || 0) + 1);
    }
  } catch (err) {
    if (err && err.status === 401) return;
    show(h('section', {}, h('h1', {}, 'Something went wrong'), errorBox(err)));
  } finally {
    main.removeAttribute('aria-busy');
  }
}

function signedIn(s) {
  session = s;
  setCsrfToken(s.csrf_token);
  document.getElementById('nav').hidden = false;
  document.getElementById('who').hidden = false;
  document.getElementById('who-text').textContent =
    s.via === 'access' ? 'Signed in with Cloudflare Access' + (s.email ? ' as ' + s.email : '') : s.via === 'session' ? 'Signed in' : 'Signed in with the admin token';
  document.getElementById('sign-out').hidden = s.via !== 'session';
}

function signInView(reason) {
  session = null;
  setCsrfToken(null);
  document.getElementById('nav').hidden = true;
  document.getElementById('who').hidden = true;
  const input = h('input', { id: 'admin-token', name: 'admin-token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const error = h('div', { id: 'sign-in-error' });
  const form = h(
    'form',
    { id: 'sign-in', class: 'card', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'admin-token' }, 'Admin token'), input),
    h('p', { class: 'hint', id: 'token-hint' }, 'Exchanged once for a session cookie (30 minutes, renewed while you work). It is not kept by this page.'),
    h('button', { type: 'submit' }, 'Sign in'),
    error,
  );
  input.setAttribute('aria-describedby', 'token-hint');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const token = input.value;
    // The token leaves the page's memory as soon as it is sent; only the HttpOnly cookie remains.
    input.value = '';
    error.replaceChildren();
    try {
      const s = await api('/admin/session', { method: 'POST', body: { token } });
      signedIn(s);
      announce('Signed in');
      if (!location.hash.startsWith('#/')) location.replace('#/agents');
      else await route();
    } catch (err) {
      error.replaceChildren(errorBox(err.status === 401 ? new Error('That is not the admin token.') : err));
      input.focus();
    }
  });
  const notes = {
    session_expired: 'Your session has expired. Sign in again.',
    session_invalid: 'Your session is no longer valid (the admin token may have been rotated). Sign in again.',
  };
  show(h('section', {}, h('h1', {}, 'Sign in'), reason && notes[reason] ? h('p', { class: 'notice', role: 'status' }, notes[reason]) : null, form));
  input.focus();
}

onUnauthorized((reason) => signInView(reason || 'session_expired'));

document.getElementById('sign-out').addEventListener('click', async () => {
  try {
    await api('/admin/session', { method: 'DELETE' });
  } finally {
    signInView(null);
    announce('Signed out');
  }
});

document.getElementById('skip').addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});

window.addEventListener('hashchange', () => {
  route();
});

// A link to the page already shown (a nav link, "Done" after a key rotation) shows it afresh: the
// browser fires no hashchange for it.
document.addEventListener('click', (e) => {
  const a = e.target instanceof Element ? e.target.closest('a[href^="#/"]') : null;
  if (a && a.getAttribute('href') === location.hash) {
    e.preventDefault();
    route();
  }
});

(async () => {
  const s = await api('/admin/session');
  if (s && s.signed_in) {
    signedIn(s);
    if (!location.hash.startsWith('#/')) location.replace('#/agents');
    else await route();
  } else {
    signInView(s && s.reason);
  }
})();
`;
