/**
 * The part of jose the hot paths use (order tokens on the storefront, receipts on the agent gateway), as a
 * module of its own: `scripts/build-chunks.mjs` bundles this file into `workers/bollard/.build/jose.mjs`,
 * which `loadJose()` (jose.ts) imports on first use, so the main module does not carry jose (about 8 KiB of
 * its gzip size, docs/operations.md "Cold start").
 */
export {
  CompactSign,
  calculateJwkThumbprint,
  compactVerify,
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
  importSPKI,
  jwtVerify,
  SignJWT,
} from 'jose';
