import type { Sql } from '../store/sql.js';
import type { ConsoleRole, ConsoleSession, ConsoleUser, SessionStage } from './model.js';

/** SQL for console users, sessions, setup links and login throttling. Secrets are stored as hashes or keyring ciphertext. */

interface UserRow extends Record<string, unknown> {
  id: string;
  username: string;
  role: ConsoleRole;
  password_hash: string | null;
  totp_secret: string | null;
  totp_last_step: string | null;
  created_at: Date;
  disabled_at: Date | null;
}

const USER_COLUMNS = 'id, username, role, password_hash, totp_secret, totp_last_step, created_at, disabled_at';

function toUser(row: UserRow): ConsoleUser {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    passwordHash: row.password_hash ?? undefined,
    totpSecret: row.totp_secret ?? undefined,
    totpLastStep: row.totp_last_step === null ? undefined : Number(row.totp_last_step),
    createdAt: row.created_at,
    disabledAt: row.disabled_at ?? undefined,
  };
}

export async function insertUser(sql: Sql, user: { id: string; username: string; role: ConsoleRole; createdAt: Date }): Promise<boolean> {
  const rows = await sql.query('INSERT INTO console_users (id, username, role, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (username) DO NOTHING RETURNING id', [
    user.id,
    user.username,
    user.role,
    user.createdAt,
  ]);
  return rows.length === 1;
}

export async function findUserById(sql: Sql, id: string): Promise<ConsoleUser | undefined> {
  const [row] = await sql.query<UserRow>(`SELECT ${USER_COLUMNS} FROM console_users WHERE id = $1`, [id]);
  return row ? toUser(row) : undefined;
}

export async function findUserByName(sql: Sql, username: string): Promise<ConsoleUser | undefined> {
  const [row] = await sql.query<UserRow>(`SELECT ${USER_COLUMNS} FROM console_users WHERE username = $1`, [username]);
  return row ? toUser(row) : undefined;
}

export async function listUsers(sql: Sql): Promise<ConsoleUser[]> {
  return (await sql.query<UserRow>(`SELECT ${USER_COLUMNS} FROM console_users ORDER BY created_at, id`)).map(toUser);
}

/** Serialises first-start checks across instances starting at once. Call inside a transaction. */
export async function lockUsers(sql: Sql): Promise<void> {
  await sql.query('LOCK TABLE console_users IN SHARE ROW EXCLUSIVE MODE');
}

export async function setCredentials(sql: Sql, id: string, passwordHash: string, totpSecret: string, totpStep: number): Promise<void> {
  await sql.query('UPDATE console_users SET password_hash = $2, totp_secret = $3, totp_last_step = $4 WHERE id = $1', [id, passwordHash, totpSecret, totpStep]);
}

/** Records an accepted TOTP step, only if it is later than the last one: false when another request used it first. */
export async function advanceTotpStep(sql: Sql, id: string, step: number): Promise<boolean> {
  const rows = await sql.query('UPDATE console_users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2) RETURNING id', [id, step]);
  return rows.length === 1;
}

export async function setUserRole(sql: Sql, id: string, role: ConsoleRole): Promise<void> {
  await sql.query('UPDATE console_users SET role = $2 WHERE id = $1', [id, role]);
}

export async function setUserDisabled(sql: Sql, id: string, at: Date | undefined): Promise<void> {
  await sql.query('UPDATE console_users SET disabled_at = $2 WHERE id = $1', [id, at ?? null]);
}

export async function countActiveOwners(sql: Sql): Promise<number> {
  const [row] = await sql.query<{ n: string }>("SELECT count(*) AS n FROM console_users WHERE role = 'owner' AND disabled_at IS NULL");
  return Number(row?.n ?? 0);
}

export async function replaceRecoveryCodes(sql: Sql, userId: string, hashes: readonly Buffer[]): Promise<void> {
  await sql.query('DELETE FROM console_recovery_codes WHERE user_id = $1', [userId]);
  for (const hash of hashes) await sql.query('INSERT INTO console_recovery_codes (user_id, code_hash) VALUES ($1, $2)', [userId, hash]);
}

/** Marks an unused recovery code used; false when there is none such (or it was used already). */
export async function useRecoveryCode(sql: Sql, userId: string, hash: Buffer, at: Date): Promise<boolean> {
  const rows = await sql.query('UPDATE console_recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING user_id', [userId, hash, at]);
  return rows.length === 1;
}

export async function insertSetupToken(sql: Sql, token: { hash: Buffer; userId: string; expiresAt: Date }): Promise<void> {
  // One live link per user: a new one replaces the last.
  await sql.query('DELETE FROM console_setup_tokens WHERE user_id = $1 AND used_at IS NULL', [token.userId]);
  await sql.query('INSERT INTO console_setup_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)', [token.hash, token.userId, token.expiresAt]);
}

/** Uses a setup token once: the user id when it was unused and unexpired, else undefined. */
export async function consumeSetupToken(sql: Sql, hash: Buffer, at: Date): Promise<string | undefined> {
  const [row] = await sql.query<{ user_id: string }>(
    'UPDATE console_setup_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id',
    [hash, at],
  );
  return row?.user_id;
}

interface SessionRow extends Record<string, unknown> {
  id_hash: Buffer;
  subject: string;
  role: ConsoleRole;
  stage: SessionStage;
  pending_totp: string | null;
  created_at: Date;
  last_seen_at: Date;
}

export async function insertSession(sql: Sql, session: ConsoleSession): Promise<void> {
  await sql.query(
    'INSERT INTO console_sessions (id_hash, subject, role, stage, pending_totp, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [session.idHash, session.subject, session.role, session.stage, session.pendingTotp ?? null, session.createdAt, session.lastSeenAt],
  );
}

export async function findSession(sql: Sql, idHash: Buffer): Promise<ConsoleSession | undefined> {
  const [row] = await sql.query<SessionRow>(
    'SELECT id_hash, subject, role, stage, pending_totp, created_at, last_seen_at FROM console_sessions WHERE id_hash = $1',
    [idHash],
  );
  if (!row) return undefined;
  return {
    idHash: row.id_hash,
    subject: row.subject,
    role: row.role,
    stage: row.stage,
    pendingTotp: row.pending_totp ?? undefined,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
  };
}

export async function touchSession(sql: Sql, idHash: Buffer, at: Date): Promise<void> {
  await sql.query('UPDATE console_sessions SET last_seen_at = $2 WHERE id_hash = $1', [idHash, at]);
}

export async function setPendingTotp(sql: Sql, idHash: Buffer, ciphertext: string): Promise<void> {
  await sql.query('UPDATE console_sessions SET pending_totp = $2 WHERE id_hash = $1', [idHash, ciphertext]);
}

export async function deleteSession(sql: Sql, idHash: Buffer): Promise<void> {
  await sql.query('DELETE FROM console_sessions WHERE id_hash = $1', [idHash]);
}

export async function deleteSessionsOf(sql: Sql, subject: string): Promise<void> {
  await sql.query('DELETE FROM console_sessions WHERE subject = $1', [subject]);
}

export async function deleteSessionsBefore(sql: Sql, createdBefore: Date, idleBefore: Date): Promise<void> {
  await sql.query('DELETE FROM console_sessions WHERE created_at < $1 OR last_seen_at < $2', [createdBefore, idleBefore]);
}

export async function findLoginFailures(sql: Sql, subjectHash: Buffer): Promise<{ failures: number; lastFailureAt: Date } | undefined> {
  const [row] = await sql.query<{ failures: number; last_failure_at: Date }>(
    'SELECT failures, last_failure_at FROM console_login_failures WHERE subject_hash = $1',
    [subjectHash],
  );
  return row ? { failures: row.failures, lastFailureAt: row.last_failure_at } : undefined;
}

export async function recordLoginFailure(sql: Sql, subjectHash: Buffer, at: Date): Promise<void> {
  await sql.query(
    `INSERT INTO console_login_failures (subject_hash, failures, last_failure_at) VALUES ($1, 1, $2)
     ON CONFLICT (subject_hash) DO UPDATE SET failures = console_login_failures.failures + 1, last_failure_at = $2`,
    [subjectHash, at],
  );
}

export async function clearLoginFailures(sql: Sql, subjectHash: Buffer): Promise<void> {
  await sql.query('DELETE FROM console_login_failures WHERE subject_hash = $1', [subjectHash]);
}
