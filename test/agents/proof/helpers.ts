import { createHash } from 'node:crypto';
import {
  compactVerify,
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
} from 'jose';
import { expect } from 'vitest';
import type { ReceiptClaims } from '../../../src/agents/proof/receipt-claims';
import { call, type EnvOverrides } from '../helpers';

export function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

export async function jwks(overrides?: EnvOverrides): Promise<JSONWebKeySet> {
  const res = await call('/.well-known/jwks.json', {}, overrides);
  if (res.status !== 200) throw new Error(`jwks: ${res.status}`);
  return (await res.json()) as JSONWebKeySet;
}

/** Verifies a receipt against the served JWKS (jose, independently of Bollard's own code) and returns its claims. */
export async function verifiedReceipt(receipt: string, keys?: JSONWebKeySet): Promise<ReceiptClaims> {
  const { payload, protectedHeader } = await compactVerify(
    receipt,
    createLocalJWKSet(keys ?? (await jwks())),
  );
  expect(protectedHeader.typ).toBe('bollard-receipt+jwt');
  const claims = JSON.parse(new TextDecoder().decode(payload)) as ReceiptClaims;
  expect(claims.kid).toBe(decodeProtectedHeader(receipt).kid);
  return claims;
}

/** A fresh Ed25519 private JWK, as an operator would put in RECEIPT_SIGNING_KEY. */
export async function freshPrivateJwk(kid?: string): Promise<Record<string, string>> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = (await exportJWK(privateKey)) as Record<string, string>;
  return kid ? { ...jwk, kid } : jwk;
}
