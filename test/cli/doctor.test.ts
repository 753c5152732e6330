import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseArgs, UsageError } from '../../src/cli/args';
import { doctorCommand } from '../../src/cli/doctor-command';
import { type DoctorRow, renderDoctorTable, wrap } from '../../src/cli/doctor-table';
import { main } from '../../src/cli/main';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';

/**
 * The `bollard doctor` command against a fake Bollard and simulator (an injected `fetch`): it renders the
 * table, exits 1 when any row fails, skips the test event where the API has no test endpoint, and
 * explains a failed one from the simulator's deliveries log.
 */
afterEach(() => {
  vi.restoreAllMocks();
});

const PASSING: DoctorRow[] = [
  { check: 'bindings', ok: true, detail: 'all 7 bound', fix: null },
  { check: 'secrets', ok: true, detail: 'secret_key mode; set: ...', fix: null },
];

interface Fake {
  report?: { checks: DoctorRow[]; base?: string } | 'unauthorized';
  testEvent?: { unsupported: boolean; workflow_id: string | null; check: DoctorRow };
  /** The last attempt of the test delivery in the simulator's log; null: the log holds none. */
  simLog?: { status_code?: number; error?: string } | null;
  down?: boolean;
}

const FAILED_TEST = {
  unsupported: false,
  workflow_id: 'wf_x',
  check: {
    check: 'webhook_test_event',
    ok: false,
    detail: 'sent through wf_x, but nothing reached the inbox within 8 s',
    fix: "look at the workflow's delivery log",
  },
};

function fakeFetch(fake: Fake): { fetch: typeof fetch; calls: string[] } {
  const calls: string[] = [];
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const impl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const auth = new Headers(init?.headers).get('authorization') ?? '';
    calls.push(`${init?.method ?? 'GET'} ${url.host}${url.pathname}`);
    if (fake.down) throw new TypeError('fetch failed');
    if (url.pathname === '/healthz')
      return json({ status: 'ok', service: 'bollard', environment: 'sandbox' });
    if (url.pathname === '/admin/doctor') {
      if (fake.report === 'unauthorized' || auth !== `Bearer ${DEV_CREDENTIALS.adminToken}`)
        return json({ error_codes: ['admin_token_invalid'] }, 401);
      return json({
        auth_mode: 'secret_key',
        upstream: { base_url: fake.report?.base ?? 'http://127.0.0.1:8788' },
        webhook: { receiver_url: 'http://127.0.0.1:8787/webhooks/checkout', workflow_id: 'wf_x' },
        checks: fake.report?.checks ?? PASSING,
      });
    }
    if (url.pathname === '/admin/doctor/webhook-test') return json(fake.testEvent);
    if (url.pathname === '/_sim/webhooks') {
      expect(auth).toBe(`Bearer ${DEV_CREDENTIALS.simAdminKey}`);
      expect(url.searchParams.get('workflow_id')).toBe('wf_x');
      expect(url.searchParams.get('kind')).toBe('test');
      const last = fake.simLog;
      return json({
        data: last
          ? [
              { event_id: 'evt_older', url: 'http://127.0.0.1:8787/webhooks/checkout', history: [] },
              { event_id: 'evt_elsewhere', url: 'https://other.example/hook', history: [] },
              { event_id: 'evt_doctor', url: 'http://127.0.0.1:8787/webhooks/checkout/', history: [last] },
            ]
          : [],
      });
    }
    return json({}, 404);
  };
  return { fetch: impl as typeof fetch, calls };
}

async function run(argv: string[], fake: Fake): Promise<{ code: number; text: string; calls: string[] }> {
  const lines: string[] = [];
  const { fetch, calls } = fakeFetch(fake);
  const code = await doctorCommand(parseArgs(argv), (s) => lines.push(s), {
    fetch,
    env: {},
    width: 100,
  });
  return { code, text: lines.join('\n'), calls };
}

describe('renderDoctorTable', () => {
  it('aligns the columns, wraps the detail, puts the fix under a failed row and counts', () => {
    const text = renderDoctorTable(
      [
        { check: 'bindings', ok: true, detail: 'all bound', fix: null },
        {
          check: 'webhook_workflow',
          ok: false,
          detail:
            'no workflow delivers to https://bollard.example.com/webhooks/checkout (3 workflows on the account)',
          fix: 'npx bollard webhooks register --url https://bollard.example.com',
        },
        { check: 'webhook_test_event', ok: true, skipped: true, detail: 'no test endpoint', fix: null },
      ],
      80,
    );
    expect(text).toBe(
      [
        'CHECK               RESULT  DETAIL',
        'bindings            PASS    all bound',
        'webhook_workflow    FAIL    no workflow delivers to',
        '                            https://bollard.example.com/webhooks/checkout (3',
        '                            workflows on the account)',
        '                            fix: npx bollard webhooks register --url',
        '                                 https://bollard.example.com',
        'webhook_test_event  SKIP    no test endpoint',
        '',
        '3 checks: 1 passed, 1 failed, 1 skipped.',
      ].join('\n'),
    );
  });

  it('wraps words and cuts one longer than the width', () => {
    expect(wrap('aaa bbb ccc', 10)).toEqual(['aaa bbb', 'ccc']);
    expect(wrap('x'.repeat(25), 10)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
    expect(wrap('', 10)).toEqual(['']);
  });
});

describe('bollard doctor', () => {
  it('is listed in the bollard help', async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await main([])).toBe(2);
    expect(err.mock.calls.flat().join('\n')).toContain('bollard doctor [--url http://127.0.0.1:8787]');
  });

  it('prints the table and exits 1 when a server-side check fails', async () => {
    const { code, text } = await run(['--no-test-event'], {
      report: {
        checks: [
          ...PASSING,
          {
            check: 'scopes.agents',
            ok: false,
            detail: 'secret key CHECKOUT_SECRET_KEY lacks gateway:payment-refunds',
            fix: 'give the key these scopes',
          },
        ],
      },
    });
    expect(code).toBe(1);
    expect(text).toContain('Bollard doctor: http://127.0.0.1:8787');
    expect(text).toMatch(/^public_url +PASS +http:\/\/127\.0\.0\.1:8787 is on loopback/m);
    expect(text).toMatch(/^reachable +PASS/m);
    expect(text).toMatch(/^admin_token +PASS +accepted; auth mode secret_key/m);
    expect(text).toMatch(
      /^scopes\.agents +FAIL +secret key CHECKOUT_SECRET_KEY lacks gateway:payment-refunds$/m,
    );
    expect(text).toMatch(/^ +fix: give the key these scopes$/m);
    expect(text).toContain('6 checks: 5 passed, 1 failed.');
  });

  it('exits 0 when every check passes, the test event sent through the API’s test endpoint', async () => {
    const { code, text, calls } = await run([], {
      testEvent: {
        unsupported: false,
        workflow_id: 'wf_x',
        check: { check: 'webhook_test_event', ok: true, detail: 'arrived', fix: null },
      },
    });
    expect(code).toBe(0);
    expect(text).toMatch(/^webhook_test_event +PASS +arrived$/m);
    expect(calls).toContain('POST 127.0.0.1:8787/admin/doctor/webhook-test');
    expect(calls.some((c) => c.includes('/_sim/'))).toBe(false);
  });

  it('names the signing key when the simulator’s log says Bollard answered 401 to the test delivery', async () => {
    const { code, text, calls } = await run([], { testEvent: FAILED_TEST, simLog: { status_code: 401 } });
    expect(code).toBe(1);
    expect(text).toMatch(
      /^webhook_test_event +FAIL +the simulator delivered evt_doctor and Bollard answered 401/m,
    );
    expect(text).toContain('WEBHOOK_SIGNING_KEYS');
    expect(calls).toContain('GET 127.0.0.1:8788/_sim/webhooks');
    const unreachable = await run(['--json'], { testEvent: FAILED_TEST, simLog: { error: 'unreachable' } });
    const rows = (JSON.parse(unreachable.text) as { checks: DoctorRow[] }).checks;
    expect(rows.find((r) => r.check === 'webhook_test_event')).toEqual({
      check: 'webhook_test_event',
      ok: false,
      detail:
        'the simulator could not deliver evt_doctor to http://127.0.0.1:8787/webhooks/checkout (unreachable)',
      fix: 'the workflow URL must reach this Bollard: check --url and the workflow action url',
    });
  });

  it('keeps the server’s row when the simulator’s log holds no test delivery, or there is no simulator', async () => {
    const empty = await run([], { testEvent: FAILED_TEST, simLog: null });
    expect(empty.code).toBe(1);
    expect(empty.text).toMatch(
      /^webhook_test_event +FAIL +sent through wf_x, but nothing reached the inbox/m,
    );
    const remote = await run(
      ['--url', 'https://bollard.example.com', '--admin-token', DEV_CREDENTIALS.adminToken],
      { report: { checks: PASSING, base: 'https://abc.api.sandbox.checkout.com' }, testEvent: FAILED_TEST },
    );
    expect(remote.text).toMatch(/^webhook_test_event +FAIL +sent through wf_x/m);
    expect(remote.calls.some((c) => c.includes('/_sim/'))).toBe(false);
  });

  it('skips the test event where the API has no test endpoint (production), sending nothing', async () => {
    for (const base of ['https://abc.api.checkout.com', 'http://127.0.0.1:8788']) {
      const none = await run(
        ['--url', 'https://bollard.example.com', '--admin-token', DEV_CREDENTIALS.adminToken],
        {
          report: { checks: PASSING, base },
          testEvent: {
            unsupported: true,
            workflow_id: 'wf_x',
            check: { check: 'webhook_test_event', ok: false, detail: 'no test endpoint', fix: 'x' },
          },
        },
      );
      expect(none.code).toBe(0);
      expect(none.text).toMatch(/^webhook_test_event +SKIP +no test endpoint; nothing was sent$/m);
      expect(none.calls.some((c) => c.includes('/_sim/'))).toBe(false);
    }
  });

  it('fails on a refused admin token, and when nothing answers', async () => {
    const refused = await run(['--admin-token', 'wrong', '--no-test-event'], {});
    expect(refused.code).toBe(1);
    expect(refused.text).toMatch(/^admin_token +FAIL +Bollard refused the admin token$/m);
    expect(refused.text).toContain('fix: pass --admin-token or set BOLLARD_ADMIN_TOKEN');
    expect(refused.text).not.toContain('wrong');
    const down = await run([], { down: true });
    expect(down.code).toBe(1);
    expect(down.text).toMatch(/^reachable +FAIL +nothing answers at http:\/\/127\.0\.0\.1:8787$/m);
    expect(down.text).toContain('fix: start it: npm start');
  });

  it('flags plain http off loopback, and wants a token there', async () => {
    const { text } = await run(
      ['--url', 'http://bollard.example.com', '--admin-token', 't', '--no-test-event'],
      {
        down: true,
      },
    );
    expect(text).toMatch(/^public_url +FAIL +http:\/\/bollard\.example\.com is plain http/m);
    await expect(run(['--url', 'https://bollard.example.com'], {})).rejects.toBeInstanceOf(UsageError);
  });
});
