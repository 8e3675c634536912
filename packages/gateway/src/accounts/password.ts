import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Console passwords, hashed with scrypt (RFC 7914), a memory-hard function: N = 2^15, r = 8 takes
 * 32 MiB per hash, so guessing in bulk costs memory as well as time (OWASP Password Storage Cheat
 * Sheet's scrypt floor is N = 2^17 with r = 8, p = 1; we trade a little for a 2-core host: see
 * docs/console.md). Stored as scrypt$N$r$p$salt$hash so parameters can grow without a migration.
 */
const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const MAX_MEMORY = 128 * PARAMS.N * PARAMS.r * 2;

/** At least this long, and no longer than this (a bound on the work an attacker can ask for). */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

function derive(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, { N, r, p, maxmem: Math.max(MAX_MEMORY, 128 * N * r * 2) }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS.N, PARAMS.r, PARAMS.p);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** A hash of a password nobody has, verified against when the user is unknown, so timing does not tell. */
let dummy: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  return (dummy ??= hashPassword('portcullis: no such user'));
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
