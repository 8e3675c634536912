import type { Sql } from '../store/sql.js';
import { effectiveExpiry } from './model.js';
import type { KeyAgePolicy } from './model.js';
import { insertKeyNetwork, selectCurrentKeysCreatedBefore } from './repository.js';

/**
 * Records that a key was used from a network. `firstTime` is true when this pair is new; `knownBefore`
 * is how many other networks the key had been used from (0 for a key's very first use, which is not
 * an anomaly: there is no history yet).
 */
export async function rememberKeyNetwork(sql: Sql, keyId: string, network: string, at: Date): Promise<{ firstTime: boolean; knownBefore: number }> {
  const { inserted, knownBefore } = await insertKeyNetwork(sql, keyId, network, at);
  return { firstTime: inserted, knownBefore };
}

/** Working keys (not revoked, not rotated, not expired) older than the policy's warning age. */
export async function keysPastWarningAge(sql: Sql, policy: KeyAgePolicy, now: number): Promise<{ id: string; consumerId: string; ageMs: number }[]> {
  return (await selectCurrentKeysCreatedBefore(sql, new Date(now - policy.warnAge)))
    .filter((key) => effectiveExpiry(key, policy) > now)
    .map((key) => ({ id: key.id, consumerId: key.consumerId, ageMs: now - key.createdAt.getTime() }));
}
