import type { Sql } from '../store/sql.js';
import type { ApiKey, Consumer, StoredApiKey } from './model.js';

/** SQL for consumers and API keys. Returns domain types, never rows (ARCHITECTURE.md). */

type Row = Record<string, unknown>;

function toConsumer(row: Row): Consumer {
  return {
    id: row.id as string,
    name: row.name as string,
    createdAt: row.created_at as Date,
    disabledAt: (row.disabled_at as Date | null) ?? null,
  };
}

function toApiKey(row: Row): ApiKey {
  return {
    id: row.id as string,
    consumerId: row.consumer_id as string,
    scopes: row.scopes as string[],
    allowedIps: row.allowed_ips as string[],
    allowedOrigins: row.allowed_origins as string[],
    createdAt: row.created_at as Date,
    expiresAt: (row.expires_at as Date | null) ?? null,
    revokedAt: (row.revoked_at as Date | null) ?? null,
    rotatedTo: (row.rotated_to as string | null) ?? null,
    lastUsedAt: (row.last_used_at as Date | null) ?? null,
  };
}

const KEY_COLUMNS = 'k.id, k.consumer_id, k.scopes, k.allowed_ips, k.allowed_origins, k.created_at, k.expires_at, k.revoked_at, k.rotated_to, k.last_used_at';

/**
 * Inserts a consumer, or returns undefined when the name is taken. ON CONFLICT also covers the race
 * the caller's check cannot: two transactions inserting one name at once on PostgreSQL, where the
 * loser waits for the winner's commit and then finds the name taken (instead of a 23505 error).
 */
export async function insertConsumer(sql: Sql, consumer: { id: string; name: string; createdAt: Date }): Promise<Consumer | undefined> {
  const [row] = await sql.query('INSERT INTO consumers (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING RETURNING *', [
    consumer.id,
    consumer.name,
    consumer.createdAt,
  ]);
  return row ? toConsumer(row) : undefined;
}

export async function findConsumer(sql: Sql, id: string, forUpdate = false): Promise<Consumer | undefined> {
  const [row] = await sql.query(`SELECT * FROM consumers WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return row ? toConsumer(row) : undefined;
}

export async function listConsumers(sql: Sql): Promise<Consumer[]> {
  return (await sql.query('SELECT * FROM consumers ORDER BY created_at, id')).map(toConsumer);
}

export async function setConsumerDisabled(sql: Sql, id: string, at: Date | null): Promise<Consumer | undefined> {
  const [row] = await sql.query('UPDATE consumers SET disabled_at = $2 WHERE id = $1 RETURNING *', [id, at]);
  return row ? toConsumer(row) : undefined;
}

export interface NewApiKey {
  readonly id: string;
  readonly consumerId: string;
  readonly secretHash: Buffer;
  readonly scopes: readonly string[];
  readonly allowedIps: readonly string[];
  readonly allowedOrigins: readonly string[];
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
}

export async function insertApiKey(sql: Sql, key: NewApiKey): Promise<ApiKey> {
  const [row] = await sql.query(
    `INSERT INTO api_keys (id, consumer_id, secret_hash, scopes, allowed_ips, allowed_origins, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
    [key.id, key.consumerId, key.secretHash, key.scopes, key.allowedIps, key.allowedOrigins, key.createdAt, key.expiresAt],
  );
  return toApiKey(row as Row);
}

export async function findApiKey(sql: Sql, id: string, forUpdate = false): Promise<ApiKey | undefined> {
  const [row] = await sql.query(`SELECT ${KEY_COLUMNS} FROM api_keys k WHERE k.id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return row ? toApiKey(row) : undefined;
}

/** Everything the verifier needs about one key, in one round trip. */
export async function findKeyForVerification(sql: Sql, id: string): Promise<StoredApiKey | undefined> {
  const [row] = await sql.query(
    `SELECT ${KEY_COLUMNS}, k.secret_hash, (c.disabled_at IS NOT NULL) AS consumer_disabled
       FROM api_keys k JOIN consumers c ON c.id = k.consumer_id WHERE k.id = $1`,
    [id],
  );
  if (!row) return undefined;
  return { ...toApiKey(row), secretHash: row.secret_hash as Buffer, consumerDisabled: row.consumer_disabled as boolean };
}

export async function listApiKeys(sql: Sql, consumerId?: string): Promise<ApiKey[]> {
  const rows = consumerId
    ? await sql.query(`SELECT ${KEY_COLUMNS} FROM api_keys k WHERE k.consumer_id = $1 ORDER BY k.created_at, k.id`, [consumerId])
    : await sql.query(`SELECT ${KEY_COLUMNS} FROM api_keys k ORDER BY k.created_at, k.id`);
  return rows.map(toApiKey);
}

export async function markRotated(sql: Sql, id: string, rotatedTo: string, graceEnd: Date): Promise<void> {
  await sql.query(
    'UPDATE api_keys SET rotated_to = $2, expires_at = LEAST(COALESCE(expires_at, $3), $3) WHERE id = $1',
    [id, rotatedTo, graceEnd],
  );
}

export async function markRevoked(sql: Sql, id: string, at: Date): Promise<void> {
  await sql.query('UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [id, at]);
}

/** Writes a batch of last-used times in one statement; never moves a time backwards. */
export async function recordLastUsed(sql: Sql, batch: ReadonlyMap<string, number>): Promise<void> {
  if (batch.size === 0) return;
  const ids = [...batch.keys()];
  const times = ids.map((id) => new Date(batch.get(id) as number).toISOString());
  await sql.query(
    `UPDATE api_keys k SET last_used_at = GREATEST(COALESCE(k.last_used_at, u.t), u.t)
       FROM (SELECT unnest($1::text[]) AS id, unnest($2::timestamptz[]) AS t) u WHERE k.id = u.id`,
    [ids, times],
  );
}

/** A signing key row (RFC 9421): the hmac secret sealed, or the ed25519 public JWK. */
export interface SigningKeyRow {
  readonly id: string;
  readonly consumerId: string;
  readonly algorithm: 'hmac-sha256' | 'ed25519';
  readonly secretSealed: string | null;
  readonly publicJwk: Record<string, unknown> | null;
  readonly createdAt: Date;
}

function toSigningKey(row: Row): SigningKeyRow {
  return {
    id: row.id as string,
    consumerId: row.consumer_id as string,
    algorithm: row.algorithm as SigningKeyRow['algorithm'],
    secretSealed: (row.secret_sealed as string | null) ?? null,
    publicJwk: (row.public_jwk as Record<string, unknown> | null) ?? null,
    createdAt: row.created_at as Date,
  };
}

export async function insertSigningKey(sql: Sql, key: Omit<SigningKeyRow, 'createdAt'> & { createdAt: Date }): Promise<SigningKeyRow> {
  const [row] = await sql.query(
    'INSERT INTO signing_keys (id, consumer_id, algorithm, secret_sealed, public_jwk, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *',
    [key.id, key.consumerId, key.algorithm, key.secretSealed, key.publicJwk === null ? null : JSON.stringify(key.publicJwk), key.createdAt],
  );
  return toSigningKey(row as Row);
}

/** A signing key that may verify: not revoked, and its consumer not disabled. */
export async function findSigningKeyForVerification(sql: Sql, id: string): Promise<SigningKeyRow | undefined> {
  const [row] = await sql.query(
    `SELECT s.* FROM signing_keys s JOIN consumers c ON c.id = s.consumer_id
      WHERE s.id = $1 AND s.revoked_at IS NULL AND c.disabled_at IS NULL`,
    [id],
  );
  return row ? toSigningKey(row as Row) : undefined;
}

type KeyTimes = { id: string; consumerId: string; createdAt: Date; expiresAt: Date | null };
const toKeyTimes = (r: { id: string; consumer_id: string; created_at: Date; expires_at: Date | null }): KeyTimes => ({ id: r.id, consumerId: r.consumer_id, createdAt: r.created_at, expiresAt: r.expires_at });

/** Creation and expiry of every key not revoked (for the age gauges). */
export async function selectUnrevokedKeyTimes(sql: Sql): Promise<KeyTimes[]> {
  return (await sql.query<{ id: string; consumer_id: string; created_at: Date; expires_at: Date | null }>('SELECT id, consumer_id, created_at, expires_at FROM api_keys WHERE revoked_at IS NULL')).map(toKeyTimes);
}

/** Keys neither revoked nor rotated, created at or before `before` (for the age alerts). */
export async function selectCurrentKeysCreatedBefore(sql: Sql, before: Date): Promise<KeyTimes[]> {
  const rows = await sql.query<{ id: string; consumer_id: string; created_at: Date; expires_at: Date | null }>(
    'SELECT id, consumer_id, created_at, expires_at FROM api_keys WHERE revoked_at IS NULL AND rotated_to IS NULL AND created_at <= $1',
    [before.toISOString()],
  );
  return rows.map(toKeyTimes);
}

/**
 * Records that a key was used from a network: whether the pair is new, and how many networks the key
 * was known in before (the statement's count does not see its own insert).
 */
export async function insertKeyNetwork(sql: Sql, keyId: string, network: string, at: Date): Promise<{ inserted: boolean; knownBefore: number }> {
  const [row] = await sql.query<{ inserted: number; known: number }>(
    `WITH ins AS (INSERT INTO key_networks (key_id, network, first_seen) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1)
     SELECT (SELECT count(*) FROM ins)::int AS inserted, (SELECT count(*) FROM key_networks WHERE key_id = $1)::int AS known`,
    [keyId, network, at.toISOString()],
  );
  return { inserted: row?.inserted === 1, knownBefore: row?.known ?? 0 };
}
