import type { Sql } from '../store/sql.js';
import { effectiveExpiry } from './model.js';
import type { KeyAgePolicy } from './model.js';

/** Ages (ms) of the keys that still work: not revoked, not past their expiry or the age limit. */
export async function activeKeyAges(sql: Sql, policy: KeyAgePolicy, now: number): Promise<number[]> {
  const rows = await sql.query<{ created_at: Date; expires_at: Date | null }>('SELECT created_at, expires_at FROM api_keys WHERE revoked_at IS NULL');
  return rows
    .filter((row) => effectiveExpiry({ createdAt: row.created_at, expiresAt: row.expires_at }, policy) > now)
    .map((row) => now - row.created_at.getTime());
}
