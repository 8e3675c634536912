import type { Sql } from '../store/sql.js';
import { effectiveExpiry } from './model.js';
import type { KeyAgePolicy } from './model.js';

/**
 * Records that a key was used from a network. `firstTime` is true when this pair is new; `knownBefore`
 * is how many other networks the key had been used from (0 for a key's very first use, which is not
 * an anomaly: there is no history yet).
 */
export async function rememberKeyNetwork(sql: Sql, keyId: string, network: string, at: Date): Promise<{ firstTime: boolean; knownBefore: number }> {
  const [row] = await sql.query<{ inserted: number; known: number }>(
    `WITH ins AS (INSERT INTO key_networks (key_id, network, first_seen) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1)
     SELECT (SELECT count(*) FROM ins)::int AS inserted, (SELECT count(*) FROM key_networks WHERE key_id = $1)::int AS known`,
    [keyId, network, at.toISOString()],
  );
  return { firstTime: row?.inserted === 1, knownBefore: row?.known ?? 0 };
}

/** Working keys (not revoked, not rotated, not expired) older than the policy's warning age. */
export async function keysPastWarningAge(sql: Sql, policy: KeyAgePolicy, now: number): Promise<{ id: string; consumerId: string; ageMs: number }[]> {
  const rows = await sql.query<{ id: string; consumer_id: string; created_at: Date; expires_at: Date | null }>(
    'SELECT id, consumer_id, created_at, expires_at FROM api_keys WHERE revoked_at IS NULL AND rotated_to IS NULL AND created_at <= $1',
    [new Date(now - policy.warnAge).toISOString()],
  );
  return rows
    .filter((r) => effectiveExpiry({ createdAt: r.created_at, expiresAt: r.expires_at }, policy) > now)
    .map((r) => ({ id: r.id, consumerId: r.consumer_id, ageMs: now - r.created_at.getTime() }));
}
