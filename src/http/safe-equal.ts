const encoder = new TextEncoder();

/**
 * Compares two strings in time that depends only on their digests, never on where they first differ.
 * Both sides are hashed first so that unequal lengths take the same path as unequal contents.
 */
export async function safeEqual(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(a)),
    crypto.subtle.digest('SHA-256', encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(da, db);
}
