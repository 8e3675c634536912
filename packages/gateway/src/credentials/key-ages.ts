import type { Sql } from '../store/sql.js';
import { effectiveExpiry } from './model.js';
import type { KeyAgePolicy } from './model.js';
import { selectUnrevokedKeyTimes } from './repository.js';
import { selectClientSecretTimes } from './client-repository.js';

/** Ages (ms) of the keys that still work: not revoked, not past their expiry or the age limit. */
export async function activeKeyAges(sql: Sql, policy: KeyAgePolicy, now: number): Promise<number[]> {
  return (await selectUnrevokedKeyTimes(sql)).filter((key) => effectiveExpiry(key, policy) > now).map((key) => now - key.createdAt.getTime());
}

/** Ages (ms) of the current secrets of working OAuth clients (a rotation starts a new age). */
export async function clientSecretAges(sql: Sql, now: number): Promise<number[]> {
  return (await selectClientSecretTimes(sql)).map((at) => now - at.getTime());
}
