import { describe, expect, it } from 'vitest';
import { BollardError, createLogger, renderError } from '../../src/http';

describe('structured logs', () => {
  it('redacts secret keys, bearer tokens, JWTs and card numbers', () => {
    const lines: string[] = [];
    const log = createLogger({ service: 'test' }, (l) => lines.push(l));
    log.info('calling upstream with sk_sbox_m73dzbpy7cf3gfd46xr4yj5xo4e and Bearer abc.def-ghi', {
      header: 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
      card: '4242 4242 4242 4242',
      pan: '4543474002249996',
      nested: {
        authorization: 'Basic YWNrXzE6c2VjcmV0',
        note: 'pk_sbox_xyzxyzxyzxyz and ack_clckqmmnyfiupexjew7shh5ahe',
      },
      amount: 1000,
    });
    expect(lines).toHaveLength(1);
    const line = lines[0] as string;
    for (const secret of [
      'sk_sbox_m73dzbpy7cf3gfd46xr4yj5xo4e',
      'abc.def-ghi',
      'eyJhbGciOiJIUzI1NiJ9',
      '4242 4242 4242 4242',
      '4543474002249996',
      'YWNrXzE6c2VjcmV0',
      'pk_sbox_xyzxyzxyzxyz',
      'clckqmmnyfiupexjew7shh5ahe',
    ]) {
      expect(line).not.toContain(secret);
    }
    const record = JSON.parse(line);
    expect(record).toMatchObject({ level: 'info', service: 'test', amount: 1000 });
    expect(record.msg).toContain('sk_[REDACTED]');
    expect(record.pan).toBe('[REDACTED_PAN]');
  });

  it('keeps ordinary ids and short numbers readable', () => {
    const lines: string[] = [];
    createLogger({}, (l) => lines.push(l)).info('ok', {
      id: 'pay_abcdefghijklmnopqrstuvwxyz',
      amount: 123456,
    });
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      id: 'pay_abcdefghijklmnopqrstuvwxyz',
      amount: 123456,
    });
  });
});

describe('renderError', () => {
  it('renders the one JSON error shape with Retry-After when given', async () => {
    const res = renderError(
      new BollardError('too_many_requests', { codes: ['rate_limited'], retryAfter: 1.2 }),
      'req_1',
    );
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(await res.json()).toEqual({
      request_id: 'req_1',
      error_type: 'too_many_requests',
      error_codes: ['rate_limited'],
    });
  });

  it('hides unexpected errors behind a generic 500', async () => {
    const res = renderError(new Error('db password is hunter2'), 'req_2');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('hunter2');
    expect(JSON.parse(text)).toMatchObject({ error_type: 'internal_error' });
  });
});
