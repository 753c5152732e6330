/**
 * `wrangler dev`'s own answer to a request that was in flight when it restarted the Worker (its
 * ProxyWorker; wrangler retries only GET and HEAD by itself). The answer asks the client to send the
 * request again, and that is all this does. The Worker never answered the first one, but it may have run
 * part of it: use this only where running a call twice is harmless (a simulator trigger makes a new
 * payment each time, and the test uses the ids it is answered).
 */
const RESTARTED = 'Your worker restarted mid-request';

/** `fetch`, sent again (twice at most) when `wrangler dev` answers that the Worker restarted mid-request. */
export async function fetchThroughDevReload(url: string, init: RequestInit): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, init);
    if (res.status !== 503 || attempt >= 2) return res;
    const text = await res.text();
    if (!text.startsWith(RESTARTED)) return new Response(text, { status: res.status, headers: res.headers });
  }
}
