import type { Context } from 'hono';
import { type AppEnv, BollardError } from '../http';

/** The WebAuthn relying party of a request: its host (the RP id) and its origin. */
export interface RelyingParty {
  rpId: string;
  origin: string;
}

/**
 * The relying party is the host the console is served from, as the request names it: a passkey is bound
 * to it, and an assertion made on any other origin does not verify. WebAuthn refuses IP addresses as an RP
 * id (WebAuthn §5.1.3 step 8: a valid domain), so a console opened at `http://127.0.0.1:8787` is told to
 * use `http://localhost:8787`, which browsers treat as a secure context too.
 */
export function relyingParty(c: Context<AppEnv>): RelyingParty {
  const url = new URL(c.req.url);
  const host = url.hostname;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith('['))
    throw new BollardError('request_invalid', {
      codes: ['rp_id_invalid'],
      message: `passkeys need a host name, not an IP address: open the console at ${url.protocol}//localhost${url.port ? `:${url.port}` : ''}/admin`,
    });
  return { rpId: host, origin: url.origin };
}
