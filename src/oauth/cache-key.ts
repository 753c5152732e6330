/**
 * The identity of one cached token: the client id plus a hash of its sorted scope set. The same string
 * names the KV key and the refresher Durable Object, so every isolate asking for the same token meets in
 * the same place. The secret is not part of it: rotating the secret keeps the key (the refresher tells
 * secrets apart by a fingerprint, see `secretFingerprint`).
 */
export async function tokenCacheKey(clientId: string, scopes: readonly string[]): Promise<string> {
  const scopeSet = [...new Set(scopes)].sort().join(' ');
  return `oauth:v1:${clientId}:${(await sha256Hex(scopeSet)).slice(0, 16)}`;
}

/** A short one-way fingerprint of a client secret: enough to tell two secrets apart, useless to an attacker. */
export async function secretFingerprint(clientId: string, clientSecret: string): Promise<string> {
  return (await sha256Hex(`bollard-oauth-fingerprint\0${clientId}\0${clientSecret}`)).slice(0, 16);
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
