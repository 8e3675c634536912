import type { Sql } from '../store/sql.js';
import type { AdminRole } from './admin-tokens.js';

/** SQL for admin tokens. Only hashes are stored; the token value never reaches the database. */

export interface NewAdminToken {
  readonly id: string;
  readonly secretHash: Buffer;
  readonly name: string;
  readonly role: AdminRole;
  readonly createdAt: Date;
}

/** Serialises "is there a token yet?" checks across instances starting at once. Call inside a transaction. */
export async function lockAdminTokens(sql: Sql): Promise<void> {
  await sql.query('LOCK TABLE admin_tokens IN SHARE ROW EXCLUSIVE MODE');
}

export async function hasActiveAdminToken(sql: Sql): Promise<boolean> {
  return (await sql.query('SELECT 1 FROM admin_tokens WHERE revoked_at IS NULL LIMIT 1')).length > 0;
}

export async function insertAdminToken(sql: Sql, token: NewAdminToken): Promise<void> {
  await sql.query('INSERT INTO admin_tokens (id, secret_hash, name, role, created_at) VALUES ($1, $2, $3, $4, $5)', [
    token.id,
    token.secretHash,
    token.name,
    token.role,
    token.createdAt,
  ]);
}

/** The hash and role of a token that is not revoked, for a constant-time comparison by the caller. */
export async function findActiveAdminToken(sql: Sql, id: string): Promise<{ secretHash: Buffer; role: AdminRole } | undefined> {
  const [row] = await sql.query<{ secret_hash: Buffer; role: AdminRole }>(
    'SELECT secret_hash, role FROM admin_tokens WHERE id = $1 AND revoked_at IS NULL',
    [id],
  );
  return row ? { secretHash: row.secret_hash, role: row.role } : undefined;
}
