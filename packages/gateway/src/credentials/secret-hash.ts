import { hash, timingSafeEqual } from 'node:crypto';

/**
 * SHA-256 of a whole credential. Keys carry 190 bits of randomness, so a fast hash is enough: slow
 * password hashes protect low-entropy secrets, which these are not (ARCHITECTURE.md, hot-path rules).
 * The one-shot `crypto.hash` costs about half of a `createHash` object on a 56-character key.
 */
export function hashSecret(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

/**
 * The same SHA-256, as a 32-character latin1 ('binary') string: the cheapest form Node hands back (no Buffer is
 * allocated), for the API-key hot path. Compare it only with `digestMatches`.
 */
export function digestSecret(value: string): string {
  return hash('sha256', value, 'binary');
}

/** A hash that no credential has, compared against when there is nothing real to compare, to keep timing alike. */
export const DUMMY_HASH = hashSecret('portcullis: no such credential');

export function hashesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

// Reused by digestMatches, which is synchronous: no caller can interleave with another.
const scratch = Buffer.alloc(32);

/** Whether a digest from `digestSecret` equals a stored 32-byte hash, compared in constant time. */
export function digestMatches(digest: string, expected: Buffer): boolean {
  scratch.write(digest, 0, 'binary');
  return expected.length === scratch.length && timingSafeEqual(scratch, expected);
}
