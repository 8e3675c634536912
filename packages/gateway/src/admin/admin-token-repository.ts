import type { Sql } from '../store/sql.js';
import type { Role } from './roles.js';

/** SQL for admin tokens. Only hashes are stored; the token value never reaches the database. */

export interface NewAdminToken {
  readonly id: string;
  readonly secretHash: Buffer;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: Date;
  readonly expiresAt?: Date | null;
  readonly consumers?: readonly string[] | null;
  readonly createdBy?: string | null;
}

export interface AdminTokenRecord {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly consumers: readonly string[] | null;
  readonly createdAt: Date;
  readonly createdBy: string | null;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
}

/** Serialises "is there a token yet?" checks across instances starting at once. Call inside a transaction. */
export async function lockAdminTokens(sql: Sql): Promise<void> {
  await sql.query('LOCK TABLE admin_tokens IN SHARE ROW EXCLUSIVE MODE');
}

export async function hasActiveAdminToken(sql: Sql): Promise<boolean> {
  return (await sql.query('SELECT 1 FROM admin_tokens WHERE revoked_at IS NULL LIMIT 1')).length > 0;
}

export async function insertAdminToken(sql: Sql, token: NewAdminToken): Promise<void> {
  await sql.query(
    'INSERT INTO admin_tokens (id, secret_hash, name, role, created_at, expires_at, consumers, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
    [token.id, token.secretHash, token.name, token.role, token.createdAt, token.expiresAt ?? null, token.consumers ?? null, token.createdBy ?? null],
  );
}

/** The hash of a token that is neither revoked nor expired at `now`, for a constant-time comparison by the caller. */
export async function findActiveAdminToken(
  sql: Sql,
  id: string,
  now: Date,
): Promise<{ secretHash: Buffer; role: Role; consumers: readonly string[] | null } | undefined> {
  const [row] = await sql.query<{ secret_hash: Buffer; role: Role; consumers: string[] | null }>(
    'SELECT secret_hash, role, consumers FROM admin_tokens WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)',
    [id, now],
  );
  return row ? { secretHash: row.secret_hash, role: row.role, consumers: row.consumers } : undefined;
}

const COLUMNS = 'id, name, role, consumers, created_at, created_by, expires_at, revoked_at';

interface TokenRow extends Record<string, unknown> {
  id: string;
  name: string;
  role: Role;
  consumers: string[] | null;
  created_at: Date;
  created_by: string | null;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const toRecord = (row: TokenRow): AdminTokenRecord => ({
  id: row.id,
  name: row.name,
  role: row.role,
  consumers: row.consumers,
  createdAt: row.created_at,
  createdBy: row.created_by,
  expiresAt: row.expires_at,
  revokedAt: row.revoked_at,
});

export async function listAdminTokens(sql: Sql): Promise<AdminTokenRecord[]> {
  return (await sql.query<TokenRow>(`SELECT ${COLUMNS} FROM admin_tokens ORDER BY created_at, id`)).map(toRecord);
}

/** One token, locked for the rest of the transaction when `forUpdate`. */
export async function findAdminToken(sql: Sql, id: string, forUpdate = false): Promise<AdminTokenRecord | undefined> {
  const [row] = await sql.query<TokenRow>(`SELECT ${COLUMNS} FROM admin_tokens WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return row ? toRecord(row) : undefined;
}

export async function markAdminTokenRevoked(sql: Sql, id: string, at: Date): Promise<void> {
  await sql.query('UPDATE admin_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [id, at]);
}
