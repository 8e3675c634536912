import type { JWK } from 'jose';
import type { Sql } from '../store/sql.js';

/**
 * SQL for the authorization server's own records: signing keys, revoked access tokens, used client
 * assertions, authorization requests, codes, token families and refresh tokens (ARCHITECTURE.md:
 * repositories return domain values, never rows). Codes and refresh tokens arrive here hashed.
 */

type Row = Record<string, unknown>;

export interface StoredSigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly publicJwk: JWK;
  /** Keyring ciphertext of the private JWK. */
  readonly sealedPrivateJwk: string;
  readonly signsFrom: Date;
}

export async function hasSigningKey(sql: Sql): Promise<boolean> {
  return (await sql.query('SELECT 1 FROM oauth_signing_keys LIMIT 1')).length > 0;
}

export async function insertSigningKey(sql: Sql, key: StoredSigningKey & { createdAt: Date }): Promise<void> {
  await sql.query(
    'INSERT INTO oauth_signing_keys (kid, alg, public_jwk, private_jwk, created_at, signs_from) VALUES ($1, $2, $3, $4, $5, $6)',
    [key.kid, key.alg, JSON.stringify(key.publicJwk), key.sealedPrivateJwk, key.createdAt, key.signsFrom],
  );
}

export async function listSigningKeys(sql: Sql): Promise<StoredSigningKey[]> {
  const rows = await sql.query('SELECT kid, alg, public_jwk, private_jwk, signs_from FROM oauth_signing_keys ORDER BY signs_from, kid');
  return rows.map((row) => ({
    kid: row.kid as string,
    alg: row.alg as string,
    publicJwk: row.public_jwk as JWK,
    sealedPrivateJwk: row.private_jwk as string,
    signsFrom: row.signs_from as Date,
  }));
}

export async function listRevokedTokens(sql: Sql, now: Date): Promise<{ jti: string; expiresAt: number }[]> {
  const rows = await sql.query('SELECT jti, expires_at FROM oauth_revoked_tokens WHERE expires_at > $1', [now]);
  return rows.map((row) => ({ jti: row.jti as string, expiresAt: (row.expires_at as Date).getTime() }));
}

/** True when the token was not on the list yet. */
export async function insertRevokedToken(sql: Sql, jti: string, clientId: string, expiresAt: Date): Promise<boolean> {
  const rows = await sql.query('INSERT INTO oauth_revoked_tokens (jti, client_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING jti', [jti, clientId, expiresAt]);
  return rows.length > 0;
}

/** Records an assertion's jti; false when it was used before (the insert is the check). */
export async function recordAssertion(sql: Sql, clientId: string, jti: string, expiresAt: Date, forgetBefore: Date): Promise<boolean> {
  await sql.query('DELETE FROM oauth_used_assertions WHERE client_id = $1 AND expires_at < $2', [clientId, forgetBefore]);
  const rows = await sql.query('INSERT INTO oauth_used_assertions (client_id, jti, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING jti', [clientId, jti, expiresAt]);
  return rows.length > 0;
}

export interface StoredAuthorizationRequest {
  readonly id: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly state: string | undefined;
  readonly codeChallenge: string;
  readonly expiresAt: Date;
}

export async function insertAuthorizationRequest(sql: Sql, r: StoredAuthorizationRequest): Promise<void> {
  await sql.query(
    'INSERT INTO oauth_authorization_requests (id, client_id, redirect_uri, scopes, state, code_challenge, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [r.id, r.clientId, r.redirectUri, r.scopes, r.state ?? null, r.codeChallenge, r.expiresAt],
  );
}

/** Removes and returns a pending request that has not expired: each works once. */
export async function takeAuthorizationRequest(sql: Sql, id: string, now: Date): Promise<StoredAuthorizationRequest | undefined> {
  const [row] = await sql.query('DELETE FROM oauth_authorization_requests WHERE id = $1 AND expires_at > $2 RETURNING *', [id, now]);
  if (!row) return undefined;
  return {
    id,
    clientId: row.client_id as string,
    redirectUri: row.redirect_uri as string,
    scopes: row.scopes as string[],
    state: (row.state as string | null) ?? undefined,
    codeChallenge: row.code_challenge as string,
    expiresAt: row.expires_at as Date,
  };
}

export async function insertTokenFamily(sql: Sql, f: { id: string; clientId: string; subject: string; scopes: readonly string[]; createdAt: Date }): Promise<void> {
  await sql.query('INSERT INTO oauth_token_families (id, client_id, subject, scopes, created_at) VALUES ($1, $2, $3, $4, $5)', [f.id, f.clientId, f.subject, f.scopes, f.createdAt]);
}

export async function insertCode(sql: Sql, c: { hash: Buffer; familyId: string; redirectUri: string; codeChallenge: string; expiresAt: Date }): Promise<void> {
  await sql.query('INSERT INTO oauth_codes (code_hash, family_id, redirect_uri, code_challenge, expires_at) VALUES ($1, $2, $3, $4, $5)', [
    c.hash, c.familyId, c.redirectUri, c.codeChallenge, c.expiresAt,
  ]);
}

/** A family as stored, with the state of the code or refresh token that led to it. */
export interface FamilyRow {
  readonly familyId: string;
  readonly clientId: string;
  readonly subject: string;
  readonly scopes: readonly string[];
  readonly familyRevoked: boolean;
  readonly used: boolean;
  readonly expiresAt: number;
}

function toFamilyRow(row: Row): FamilyRow {
  return {
    familyId: row.family_id as string,
    clientId: row.client_id as string,
    subject: row.subject as string,
    scopes: row.scopes as string[],
    familyRevoked: row.revoked_at !== null,
    used: row.used_at !== null,
    expiresAt: (row.expires_at as Date).getTime(),
  };
}

/** Locks a code with its family (inside a transaction). */
export async function findCodeForUpdate(sql: Sql, hash: Buffer): Promise<(FamilyRow & { redirectUri: string; codeChallenge: string }) | undefined> {
  const [row] = await sql.query(
    `SELECT c.family_id, c.redirect_uri, c.code_challenge, c.expires_at, c.used_at, f.client_id, f.subject, f.scopes, f.revoked_at
       FROM oauth_codes c JOIN oauth_token_families f ON f.id = c.family_id WHERE c.code_hash = $1 FOR UPDATE`,
    [hash],
  );
  return row ? { ...toFamilyRow(row), redirectUri: row.redirect_uri as string, codeChallenge: row.code_challenge as string } : undefined;
}

export async function markCodeUsed(sql: Sql, hash: Buffer, at: Date): Promise<void> {
  await sql.query('UPDATE oauth_codes SET used_at = $2 WHERE code_hash = $1', [hash, at]);
}

export async function insertRefreshToken(sql: Sql, r: { hash: Buffer; familyId: string; expiresAt: Date; accessJti: string; accessExpiresAt: Date }): Promise<void> {
  await sql.query(
    'INSERT INTO oauth_refresh_tokens (token_hash, family_id, expires_at, access_jti, access_expires_at) VALUES ($1, $2, $3, $4, $5)',
    [r.hash, r.familyId, r.expiresAt, r.accessJti, r.accessExpiresAt],
  );
}

/** Locks a refresh token with its family (inside a transaction). */
export async function findRefreshTokenForUpdate(sql: Sql, hash: Buffer): Promise<FamilyRow | undefined> {
  const [row] = await sql.query(
    `SELECT r.family_id, r.expires_at, r.used_at, f.client_id, f.subject, f.scopes, f.revoked_at
       FROM oauth_refresh_tokens r JOIN oauth_token_families f ON f.id = r.family_id WHERE r.token_hash = $1 FOR UPDATE`,
    [hash],
  );
  return row ? toFamilyRow(row) : undefined;
}

export async function markRefreshTokenUsed(sql: Sql, hash: Buffer, at: Date): Promise<void> {
  await sql.query('UPDATE oauth_refresh_tokens SET used_at = $2 WHERE token_hash = $1', [hash, at]);
}

export async function findFamilyOfRefreshToken(sql: Sql, hash: Buffer): Promise<{ id: string; clientId: string } | undefined> {
  const [row] = await sql.query('SELECT f.id, f.client_id FROM oauth_refresh_tokens r JOIN oauth_token_families f ON f.id = r.family_id WHERE r.token_hash = $1', [hash]);
  return row ? { id: row.id as string, clientId: row.client_id as string } : undefined;
}

/** Marks a family revoked; returns the access tokens issued in it that have not expired yet. */
export async function markFamilyRevoked(sql: Sql, familyId: string, now: Date): Promise<{ jti: string; clientId: string; expiresAt: number }[]> {
  await sql.query('UPDATE oauth_token_families SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [familyId, now]);
  const rows = await sql.query(
    'SELECT r.access_jti, r.access_expires_at, f.client_id FROM oauth_refresh_tokens r JOIN oauth_token_families f ON f.id = r.family_id WHERE r.family_id = $1 AND r.access_expires_at > $2',
    [familyId, now],
  );
  return rows.map((row) => ({ jti: row.access_jti as string, clientId: row.client_id as string, expiresAt: (row.access_expires_at as Date).getTime() }));
}
