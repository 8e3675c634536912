import type { JWK } from 'jose';
import type { Sql } from '../store/sql.js';
import type { ClientAuthMethod, OAuthClient, StoredOAuthClient } from './client-model.js';

/** SQL for OAuth clients. Returns domain types, never rows (ARCHITECTURE.md). */

type Row = Record<string, unknown>;

const COLUMNS =
  'o.id, o.consumer_id, o.auth_method, o.public_jwk, o.scopes, o.allowed_ips, o.allowed_origins, o.redirect_uris, o.dpop_bound, o.created_at, o.revoked_at, o.previous_secret_expires_at';

function toClient(row: Row): OAuthClient {
  return {
    id: row.id as string,
    consumerId: row.consumer_id as string,
    authMethod: row.auth_method as ClientAuthMethod,
    publicJwk: (row.public_jwk as JWK | null) ?? null,
    scopes: row.scopes as string[],
    allowedIps: row.allowed_ips as string[],
    allowedOrigins: row.allowed_origins as string[],
    redirectUris: row.redirect_uris as string[],
    dpopBound: row.dpop_bound as boolean,
    createdAt: row.created_at as Date,
    revokedAt: (row.revoked_at as Date | null) ?? null,
    previousSecretExpiresAt: (row.previous_secret_expires_at as Date | null) ?? null,
  };
}

export interface NewOAuthClient {
  readonly id: string;
  readonly consumerId: string;
  readonly authMethod: ClientAuthMethod;
  readonly secretHash: Buffer | null;
  readonly publicJwk: JWK | null;
  readonly scopes: readonly string[];
  readonly allowedIps: readonly string[];
  readonly allowedOrigins: readonly string[];
  readonly redirectUris: readonly string[];
  readonly dpopBound: boolean;
  readonly createdAt: Date;
}

export async function insertClient(sql: Sql, c: NewOAuthClient): Promise<OAuthClient> {
  const [row] = await sql.query(
    `INSERT INTO oauth_clients (id, consumer_id, auth_method, secret_hash, public_jwk, scopes, allowed_ips, allowed_origins, redirect_uris, dpop_bound, created_at, secret_created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CASE WHEN $4::bytea IS NULL THEN NULL ELSE $11::timestamptz END) RETURNING *`,
    [c.id, c.consumerId, c.authMethod, c.secretHash, c.publicJwk ? JSON.stringify(c.publicJwk) : null, c.scopes, c.allowedIps, c.allowedOrigins, c.redirectUris, c.dpopBound, c.createdAt],
  );
  return toClient(row as Row);
}

export async function findClient(sql: Sql, id: string, forUpdate = false): Promise<OAuthClient | undefined> {
  const [row] = await sql.query(`SELECT ${COLUMNS} FROM oauth_clients o WHERE o.id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return row ? toClient(row) : undefined;
}

/** Everything client authentication and token verification need about one client, in one round trip. */
export async function findClientForAuthentication(sql: Sql, id: string): Promise<StoredOAuthClient | undefined> {
  const [row] = await sql.query(
    `SELECT ${COLUMNS}, o.secret_hash, o.previous_secret_hash, (c.disabled_at IS NOT NULL) AS consumer_disabled
       FROM oauth_clients o JOIN consumers c ON c.id = o.consumer_id WHERE o.id = $1`,
    [id],
  );
  if (!row) return undefined;
  return {
    ...toClient(row),
    secretHash: (row.secret_hash as Buffer | null) ?? null,
    previousSecretHash: (row.previous_secret_hash as Buffer | null) ?? null,
    consumerDisabled: row.consumer_disabled as boolean,
  };
}

export async function listClients(sql: Sql, consumerId?: string): Promise<OAuthClient[]> {
  const rows = consumerId
    ? await sql.query(`SELECT ${COLUMNS} FROM oauth_clients o WHERE o.consumer_id = $1 ORDER BY o.created_at, o.id`, [consumerId])
    : await sql.query(`SELECT ${COLUMNS} FROM oauth_clients o ORDER BY o.created_at, o.id`);
  return rows.map(toClient);
}

/** The new secret (issued `now`) replaces the current one, which stays valid until `graceEnd`. */
export async function replaceClientSecret(sql: Sql, id: string, secretHash: Buffer, graceEnd: Date, now: Date): Promise<void> {
  await sql.query(
    'UPDATE oauth_clients SET previous_secret_hash = secret_hash, previous_secret_expires_at = $3, secret_hash = $2, secret_created_at = $4 WHERE id = $1',
    [id, secretHash, graceEnd, now],
  );
}

/** When the current secret of each working client_secret client was issued (for the secret-age metric). */
export async function selectClientSecretTimes(sql: Sql): Promise<Date[]> {
  const rows = await sql.query<{ at: Date }>('SELECT secret_created_at AS at FROM oauth_clients WHERE revoked_at IS NULL AND secret_hash IS NOT NULL');
  return rows.map((r) => r.at);
}

export async function markClientRevoked(sql: Sql, id: string, at: Date): Promise<void> {
  await sql.query('UPDATE oauth_clients SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [id, at]);
}

/** The client whose current secret, or previous one still in its grace period, has this hash. */
export async function findClientBySecretHash(sql: Sql, hash: Buffer, now: Date): Promise<{ id: string; consumerId: string; revoked: boolean } | undefined> {
  const [row] = await sql.query<{ id: string; consumer_id: string; revoked_at: Date | null }>(
    'SELECT id, consumer_id, revoked_at FROM oauth_clients WHERE secret_hash = $1 OR (previous_secret_hash = $1 AND previous_secret_expires_at > $2) LIMIT 1',
    [hash, now],
  );
  return row ? { id: row.id, consumerId: row.consumer_id, revoked: row.revoked_at !== null } : undefined;
}
