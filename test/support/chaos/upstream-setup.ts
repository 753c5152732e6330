import { DEV_CREDENTIALS } from '../../../src/dev/credentials';

/** How a chaos driver reaches a Worker: global `fetch` over loopback (e2e), or a binding (workerd). */
export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

/**
 * Talks to the simulator directly (never through Bollard): the resources a money-moving call acts on,
 * the fault knobs, and the counters that say how many times something really happened upstream.
 */
export class SimControl {
  readonly #url: string;
  readonly #fetch: FetchLike;
  /** The whole fault book; `POST /_sim/faults` replaces it, so concurrent cases share one copy. */
  readonly #routes = new Map<string, Record<string, unknown>>();
  #writing: Promise<unknown> = Promise.resolve();

  constructor(url: string, fetcher: FetchLike = fetch) {
    this.#url = url;
    this.#fetch = fetcher;
  }

  async api(
    method: string,
    path: string,
    body?: unknown,
    key: string = DEV_CREDENTIALS.secretKey,
  ): Promise<Response> {
    return this.#fetch(`${this.#url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
  }

  async json<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.api(method, path, body);
    const text = await res.text();
    if (res.status >= 300) throw new Error(`sim ${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  async admin<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.api(method, path, body, DEV_CREDENTIALS.simAdminKey);
    const text = await res.text();
    if (res.status >= 300) throw new Error(`sim ${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** Sets (or with `null` clears) one route's fault rule, keeping every other route's. */
  async setFault(routeKey: string, rule: Record<string, unknown> | null): Promise<void> {
    const write = this.#writing.then(async () => {
      if (rule === null) this.#routes.delete(routeKey);
      else this.#routes.set(routeKey, rule);
      await this.admin('POST', '/_sim/faults', { routes: Object.fromEntries(this.#routes) });
    });
    this.#writing = write.catch(() => undefined);
    await write;
  }

  /** Upstream effects per call name (`GET /_sim/stats` → `effects`). */
  async effects(): Promise<Record<string, number>> {
    const stats = await this.admin<{ effects?: Record<string, number> }>('GET', '/_sim/stats');
    return stats.effects ?? {};
  }

  /** A single-use card token, made with the public key as a browser would. */
  async cardToken(number = '4242424242424242'): Promise<string> {
    const res = await this.api(
      'POST',
      '/tokens',
      { type: 'card', number, expiry_month: 12, expiry_year: 2030, cvv: '100' },
      DEV_CREDENTIALS.publicKey,
    );
    const body = (await res.json()) as { token?: string };
    if (!body.token) throw new Error(`tokenizing failed: ${res.status}`);
    return body.token;
  }

  async payment(options: { capture: boolean; amount?: number }): Promise<string> {
    const token = await this.cardToken();
    const body = await this.json<{ id: string }>('POST', '/payments', {
      amount: options.amount ?? 5000,
      currency: 'GBP',
      capture: options.capture,
      reference: `chaos-setup-${crypto.randomUUID().slice(0, 8)}`,
      source: { type: 'token', token },
    });
    return body.id;
  }

  async dispute(): Promise<string> {
    const paymentId = await this.payment({ capture: true });
    const body = await this.admin<{ id: string }>('POST', '/_sim/disputes', {
      payment_id: paymentId,
      category: 'fraudulent',
    });
    return body.id;
  }

  /** Payments the simulator holds with this reference. */
  async paymentsByReference(reference: string): Promise<number> {
    const body = await this.json<{ total_count?: number; data?: unknown[] }>(
      'GET',
      `/payments?reference=${encodeURIComponent(reference)}`,
    );
    return body.total_count ?? body.data?.length ?? 0;
  }
}
