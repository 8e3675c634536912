import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * SHA-256 of a whole credential. Keys carry 190 bits of randomness, so a fast hash is enough: slow
 * password hashes protect low-entropy secrets, which these are not (ARCHITECTURE.md, hot-path rules).
 */
export function hashSecret(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** A hash that no credential has, compared against when there is nothing real to compare, to keep timing alike. */
export const DUMMY_HASH = hashSecret('portcullis: no such credential');

export function hashesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
