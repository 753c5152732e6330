import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseArgs, UsageError } from '../../src/cli/args';
import { doctorCommand } from '../../src/cli/doctor-command';
import { type DoctorRow, renderDoctorTable, wrap } from '../../src/cli/doctor-table';
import { main } from '../../src/cli/main';
import { DEV_CREDENTIALS } from '../../src/dev/credentials';

/**
 * The `bollard doctor` command against a fake Bollard and simulator (an injected `fetch`): it renders the
 * table, exits 1 when any row fails, and falls back to a simulator trigger for the test event.
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
  testEvent?: { unsupported: boolean; check: DoctorRow };
  /** `/admin/events/{id}` answers 404 this many times, then 200 (Infinity: never arrives). */
  eventMisses?: number;
  simLogStatus?: number;
  down?: boolean;
}

function fakeFetch(fake: Fake): { fetch: typeof fetch; calls: string[] } {
  const calls: string[] = [];
  let misses = fake.eventMisses ?? 0;
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
    if (url.pathname === '/_sim/trigger') {
      expect(auth).toBe(`Bearer ${DEV_CREDENTIALS.simAdminKey}`);
      return json({ events: [{ id: 'evt_doctor', type: 'card_verified' }] }, 201);
    }
    if (url.pathname === '/admin/events/evt_doctor') {
      if (misses > 0) {
        misses--;
        return json({ error_codes: ['event_not_found'] }, 404);
      }
      return json({ id: 'evt_doctor' });
    }
    if (url.pathname === '/_sim/webhooks') {
      return json({
        data: [
          {
            url: 'http://127.0.0.1:8787/webhooks/checkout',
            status: 'pending',
            history: [{ status_code: fake.simLogStatus ?? 200 }],
          },
        ],
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
    waitMs: 50,
    sleep: async () => {},
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

  it('exits 0 when every check passes, with the test event through the simulator', async () => {
    const { code, text, calls } = await run([], {
      testEvent: {
        unsupported: true,
        check: { check: 'webhook_test_event', ok: false, detail: 'no test endpoint', fix: 'x' },
      },
      eventMisses: 2,
    });
    expect(code).toBe(0);
    expect(text).toMatch(/^webhook_test_event +PASS +card_verified evt_doctor, triggered on the simulator/m);
    expect(calls).toContain('POST 127.0.0.1:8788/_sim/trigger');
    expect(calls.filter((c) => c === 'GET 127.0.0.1:8787/admin/events/evt_doctor')).toHaveLength(3);
  });

  it('names the signing key when the simulator says Bollard answered 401', async () => {
    const { code, text } = await run([], {
      testEvent: {
        unsupported: true,
        check: { check: 'webhook_test_event', ok: false, detail: '-', fix: 'x' },
      },
      eventMisses: Number.POSITIVE_INFINITY,
      simLogStatus: 401,
    });
    expect(code).toBe(1);
    expect(text).toMatch(
      /^webhook_test_event +FAIL +the simulator delivered evt_doctor and Bollard answered 401/m,
    );
    expect(text).toContain('WEBHOOK_SIGNING_KEYS');
  });

  it('uses the API test endpoint’s own answer when it has one, and skips when there is none and no simulator', async () => {
    const sent = await run(
      ['--url', 'https://bollard.example.com', '--admin-token', DEV_CREDENTIALS.adminToken],
      {
        testEvent: {
          unsupported: false,
          check: { check: 'webhook_test_event', ok: true, detail: 'arrived', fix: null },
        },
      },
    );
    expect(sent.code).toBe(0);
    expect(sent.text).toMatch(/^webhook_test_event +PASS +arrived$/m);
    const none = await run(
      ['--url', 'https://bollard.example.com', '--admin-token', DEV_CREDENTIALS.adminToken],
      {
        report: { checks: PASSING, base: 'https://abc.api.checkout.com' },
        testEvent: {
          unsupported: true,
          check: { check: 'webhook_test_event', ok: false, detail: 'no test endpoint', fix: 'x' },
        },
      },
    );
    expect(none.code).toBe(0);
    expect(none.text).toMatch(/^webhook_test_event +SKIP +no test endpoint; nothing was sent$/m);
    expect(none.calls.some((c) => c.includes('/_sim/'))).toBe(false);
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
