import { randomBytes } from 'node:crypto';

export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Encodes a non-negative integer in base62, left-padded with '0' to `width` characters. */
export function encodeBase62(value: number | bigint, width: number): string {
  // Plain numbers (checksums, on every verification) avoid BigInt arithmetic, which is several times slower.
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) {
    let out = '';
    for (let n = value; n > 0; n = Math.floor(n / 62)) out = BASE62_ALPHABET[n % 62] + out;
    if (out.length > width) throw new RangeError(`value does not fit in ${width} base62 characters`);
    return out.padStart(width, '0');
  }
  let n = BigInt(value);
  if (n < 0n) throw new RangeError('encodeBase62 takes a non-negative integer');
  let out = '';
  while (n > 0n) {
    out = BASE62_ALPHABET[Number(n % 62n)] + out;
    n /= 62n;
  }
  if (out.length > width) throw new RangeError(`value does not fit in ${width} base62 characters`);
  return out.padStart(width, '0');
}

const DIGIT_VALUES = new Map([...BASE62_ALPHABET].map((char, value) => [char.charCodeAt(0), value]));

/**
 * The integer a base62 string of at most 8 characters encodes (so it stays a safe integer), or -1 when
 * a character is outside the alphabet.
 */
export function decodeBase62(text: string): number {
  if (text.length > 8) throw new RangeError('decodeBase62 takes at most 8 characters');
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = DIGIT_VALUES.get(text.charCodeAt(i));
    if (digit === undefined) return -1;
    value = value * 62 + digit;
  }
  return value;
}

/**
 * `length` characters drawn uniformly from the base62 alphabet.
 * Rejection sampling keeps the distribution unbiased: bytes >= 248 (= 4 * 62) are discarded.
 */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62_ALPHABET[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}
