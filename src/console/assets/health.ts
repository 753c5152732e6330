/**
 * `/admin/console/health.js`: upstream health from `GET /admin/status` — the rate governor's budgets and
 * shed counts, the OAuth tokens' state (expiry and scopes, never a token), upstream error rates, the
 * last webhook received, and wrong admin tokens (the per-source limit and this isolate's counts).
 */
export const HEALTH_JS = `import { api, errorBox, facts, h, percent, table, timeCell } from '/admin/console/lib.js';

function governorSection(g, gate) {
  if (g.error) return [h('h2', {}, 'Rate governor'), errorBox(new Error(g.error))];
  const row = (name, c) => [
    name,
    String(c.configuredPerSecond) + '/s',
    String(c.scheduledPerSecond) + '/s',
    String(c.factor),
    String(c.held) + ' of ' + String(c.permits) + ' (' + String(c.activeLeases) + ' leases)',
    c.backlogMs === null ? 'all leased' : String(c.backlogMs) + ' ms',
    String(c.leases),
    String(c.slotsGranted),
    String(c.saturatedLeases),
    String(c.throttleReports),
  ];
  return [
    h('h2', {}, 'Rate governor (account-wide)'),
    table(
      'Budgets per class',
      ['Class', 'Configured', 'Admitted at most', 'Factor', 'Permits leased', 'Next unleased free in', 'Lease requests', 'Permits granted', 'Requests short of permits', 'Upstream 429s reported'],
      [row('reads', g.read), row('writes', g.write)],
    ),
    h('h2', {}, 'This isolate’s gate'),
    facts([
      ['Admitted', String(gate.acquired)],
      ['Waited (for a permit or a lease)', String(gate.waited)],
      ['Waited on a lease round trip', String(gate.leaseWaits)],
      ['Shed (answered 429)', String(gate.shed)],
      ['Lease round trips', String(gate.leases)],
      ['Permits lost unused', String(gate.expired)],
    ]),
  ];
}

function oauthSection(auth) {
  const surfaces = Object.entries(auth.oauth_tokens || {});
  return [
    h('h2', {}, 'Credentials'),
    facts([
      ['Auth mode', auth.mode],
      ['Storefront key', auth.storefront_key],
    ]),
    auth.mode === 'oauth'
      ? table(
          'OAuth tokens per surface (never the token itself)',
          ['Surface', 'Scopes', 'Has token', 'Expires', 'Refresh at', 'Failures', 'Last failure'],
          surfaces.map(([name, t]) =>
            t.error
              ? [name, '—', '—', '—', '—', '—', t.error]
              : [name, t.scopes.join(' '), t.has_token ? 'yes' : 'no', timeCell(t.expires_at), timeCell(t.refresh_at), String(t.consecutive_failures), t.last_failure || '—'],
          ),
        )
      : h('p', {}, 'Secret-key mode: no OAuth tokens.'),
  ];
}

function upstreamSection(up) {
  const c = up.this_isolate_calls;
  const o = c.by_outcome;
  return [
    h('h2', {}, 'Upstream (Checkout.com)'),
    facts([
      ['Base URL', h('code', {}, up.base_url)],
      ['Calls, last ' + Math.round(c.window_s / 60) + ' minutes (this isolate)', String(c.total)],
      ['Error rate (5xx and network)', h('span', { id: 'upstream-error-rate' }, percent(c.error_rate))],
      ['Throttled (429)', percent(c.throttle_rate)],
    ]),
    table(
      'Answers by outcome, last five minutes',
      ['OK', 'Client errors', 'Throttled', 'Server errors', 'Network errors'],
      [[String(o.ok), String(o.client_error), String(o.throttled), String(o.server_error), String(o.network_error)]],
    ),
  ];
}

function webhookSection(w) {
  if (w.error) return [h('h2', {}, 'Webhooks'), errorBox(new Error(w.error))];
  const last = w.last_received;
  const q = w.last_quarantined;
  return [
    h('h2', {}, 'Webhooks'),
    facts([
      ['Last event received', last ? h('span', { id: 'last-webhook' }, h('a', { href: '#/events/' + last.id }, last.type), ' at ', timeCell(last.received_at), ' (' + last.status + ')') : 'none yet'],
      ['Last quarantined', q ? h('span', {}, q.reason + ', ' + q.deliveries + ' deliveries, last at ', timeCell(q.last_received_at)) : 'none'],
    ]),
  ];
}

function adminSection(a) {
  if (!a) return [];
  const c = a.this_isolate;
  return [
    h('h2', {}, 'Admin credentials (this isolate)'),
    facts([
      ['Wrong admin tokens', String(c.failures)],
      ['Refused past the limit (429)', String(c.refused)],
      ['Sources that reached the limit', String(c.limits_reached)],
      ['Last wrong token', c.last_failure_at ? timeCell(c.last_failure_at) : 'none'],
      ['Limit per source and minute', a.failure_limit_per_minute > 0 ? String(a.failure_limit_per_minute) : 'off'],
    ]),
  ];
}

export async function healthView() {
  const s = await api('/admin/status');
  return h(
    'section',
    {},
    h('h1', {}, 'Health'),
    h('p', {}, 'Environment: ', h('strong', {}, s.environment)),
    upstreamSection(s.upstream),
    webhookSection(s.webhooks || { error: 'not reported' }),
    governorSection(s.governor, s.this_isolate_gate),
    oauthSection(s.auth),
    adminSection(s.admin_credentials),
  );
}
`;
