import { DurableObject } from 'cloudflare:workers';

/** Single-flight OAuth token refresh, one object per credential (issue: OAuth + governor). */
export class OAuthTokenRefresher extends DurableObject<Env> {}
