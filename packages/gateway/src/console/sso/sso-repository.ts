import type { Sql } from '../../store/sql.js';

/**
 * SSO state that is used once, in the store so that every instance sees it: pending sign-ins (a SAML
 * AuthnRequest id, an OIDC state) and the ids of SAML assertions already accepted. Each row expires.
 */
export type OneTimeKind = 'saml-request' | 'oidc-state' | 'saml-assertion';

export async function savePending(sql: Sql, kind: OneTimeKind, id: string, data: unknown, expiresAt: Date): Promise<void> {
  await sql.query('DELETE FROM sso_one_time WHERE expires_at <= $1', [new Date()]);
  await sql.query('INSERT INTO sso_one_time (kind, id, data, expires_at) VALUES ($1, $2, $3, $4)', [kind, id, JSON.stringify(data), expiresAt]);
}

/** The row's data while it has not expired, leaving it in place. */
export async function peekPending<T>(sql: Sql, kind: OneTimeKind, id: string, now: Date): Promise<T | undefined> {
  const rows = await sql.query<{ data: T }>('SELECT data FROM sso_one_time WHERE kind = $1 AND id = $2 AND expires_at > $3', [kind, id, now]);
  return rows[0]?.data;
}

/** Removes the row and returns its data, if it had not expired: of two concurrent takers only one wins. */
export async function takePending<T>(sql: Sql, kind: OneTimeKind, id: string, now: Date): Promise<T | undefined> {
  const rows = await sql.query<{ data: T; expires_at: Date }>('DELETE FROM sso_one_time WHERE kind = $1 AND id = $2 RETURNING data, expires_at', [kind, id]);
  const row = rows[0];
  return row && row.expires_at.getTime() > now.getTime() ? row.data : undefined;
}

/**
 * True the first time `id` is claimed; false when it was claimed before and has not expired. One
 * statement, so two instances claiming the same id at once cannot both win.
 */
export async function claimOnce(sql: Sql, kind: OneTimeKind, id: string, expiresAt: Date, now: Date): Promise<boolean> {
  const rows = await sql.query(
    `INSERT INTO sso_one_time (kind, id, data, expires_at) VALUES ($1, $2, '{}', $3)
     ON CONFLICT (kind, id) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE sso_one_time.expires_at <= $4
     RETURNING id`,
    [kind, id, expiresAt, now],
  );
  return rows.length === 1;
}
