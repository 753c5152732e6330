/** Types for `docs/verify-receipt.mjs` (the offline receipt and archive verifier), for the tests that run it. */
export declare const RECEIPT_TYP: string;
export declare const HEAD_TYP: string;
export declare class VerificationError extends Error {}
export interface VerificationKey {
  kid: string;
  alg: 'EdDSA' | 'ES256';
  source: string;
  verifyUntil: number | null;
}
export declare function sha256Hex(data: string | Uint8Array): string;
export declare function parseJwks(doc: unknown, source?: string): VerificationKey[];
export declare function receiptText(text: string): string;
export interface ReceiptResult {
  claims: Record<string, unknown> & { audit: { chain: string; seq: number; hash: string; kind: string } };
  kid: string;
  checked: string[];
}
export declare function verifyReceipt(input: {
  receipt: string;
  keys: VerificationKey[];
  body?: string | Uint8Array;
  request?: string | Uint8Array;
}): ReceiptResult;
export declare function verifyEntry(input: {
  receipt: string;
  keys: VerificationKey[];
  range: string | Uint8Array;
  head?: string | Uint8Array;
  body?: string | Uint8Array;
  request?: string | Uint8Array;
}): ReceiptResult & { entry: Record<string, unknown>; notes: string[] };
export interface ArchiveChainResult {
  chain: string;
  heads: number;
  entries: number;
  from: string;
  head: { seq: number; hash: string; at: string } | null;
}
export declare function verifyArchive(
  dir: string,
  keys?: VerificationKey[],
): {
  chains: ArchiveChainResult[];
  unreferenced: string[];
  keys: Array<{ kid: string; source: string; used: boolean }>;
};
export declare function main(argv?: string[], out?: (line: string) => void): Promise<number>;
