import { createHash } from 'node:crypto';
import type { Sql } from '../store/sql.js';
import { AccountError } from './errors.js';
import type { ConsolePolicy } from './deps.js';
import { clearLoginFailures, findLoginFailures, recordLoginFailure } from './repository.js';

/**
 * Sign-in throttling keyed by user name AND client address, with exponential backoff, never a hard
 * account lock: an attacker guessing from their address slows only their own attempts, and cannot
 * lock the real user (at another address) out (OWASP Authentication Cheat Sheet, "account lockout").
 */
export function throttleKey(username: string, ip: string): Buffer {
  return createHash('sha256').update(`${username}\n${ip}`).digest();
}

/** Throws login_throttled while this user name and address must wait. */
export async function checkThrottle(sql: Sql, key: Buffer, policy: ConsolePolicy, now: number): Promise<void> {
  const record = await findLoginFailures(sql, key);
  if (!record || record.failures < policy.freeFailures) return;
  const wait = Math.min(policy.maxDelay, 1_000 * 2 ** (record.failures - policy.freeFailures));
  const remaining = record.lastFailureAt.getTime() + wait - now;
  if (remaining > 0) throw new AccountError('login_throttled', 'Too many failed attempts from this address: wait before trying again.', Math.ceil(remaining / 1_000));
}

export async function recordFailure(sql: Sql, key: Buffer, now: number): Promise<void> {
  await recordLoginFailure(sql, key, new Date(now));
}

export async function clearFailures(sql: Sql, key: Buffer): Promise<void> {
  await clearLoginFailures(sql, key);
}
