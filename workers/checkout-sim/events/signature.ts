const encoder = new TextEncoder();

/**
 * `Cko-Signature`: lowercase hex HMAC-SHA256 of the exact body bytes under the workflow action's
 * `signature.key` (facts §6; the official WooCommerce plugin compares PHP's lowercase `hash_hmac`).
 */
export async function signBody(key: string, body: string): Promise<string> {
  const cryptoKey = await crypto.subtle.importKey(
    'raw',
    encoder.encode(key),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(body)));
  let hex = '';
  for (const b of mac) hex += b.toString(16).padStart(2, '0');
  return hex;
}
