import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Sql } from '../store/sql.js';
import type { AccountDeps } from './deps.js';
import type { ConsoleRole, ConsoleSession, SessionStage } from './model.js';
import { deleteSession, deleteSessionsBefore, findSession, findUserById, insertSession, touchSession } from './repository.js';

/**
 * Server-side console sessions. The cookie holds 256 random bits; the store holds only their SHA-256,
 * so a copy of the database cannot be replayed as a cookie. A new id is issued at every step up
 * (password, then MFA), so an id planted before sign-in never becomes a signed-in one (session
 * fixation, OWASP Session Management Cheat Sheet).
 */

export interface SessionIdentity {
  /** A console user id, or `sso:<subject>` for a single sign-on identity. */
  readonly subject: string;
  readonly role: ConsoleRole;
  readonly stage: SessionStage;
}

export interface IssuedSession {
  /** The cookie value: shown to the browser, never stored. */
  readonly id: string;
  readonly csrfToken: string;
  readonly session: ConsoleSession;
}

export function hashSessionId(id: string): Buffer {
  return createHash('sha256').update(id).digest();
}

/**
 * The CSRF token is derived from the session id (HMAC), so it changes with every rotation, needs no
 * storage, and cannot be computed without the cookie (OWASP CSRF Cheat Sheet, synchronizer token).
 */
export function csrfTokenFor(id: string): string {
  return createHmac('sha256', id).update('portcullis console csrf').digest('base64url');
}

export function csrfTokenMatches(id: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const expected = Buffer.from(csrfTokenFor(id));
  const actual = Buffer.from(presented);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Issues a new session. `replacing` (the id the browser held) is ended in the same transaction. */
export async function issueSession(sql: Sql, identity: SessionIdentity, now: Date, replacing?: string, pendingTotp?: string): Promise<IssuedSession> {
  if (replacing) await deleteSession(sql, hashSessionId(replacing));
  const id = randomBytes(32).toString('base64url');
  const session: ConsoleSession = { idHash: hashSessionId(id), ...identity, pendingTotp, createdAt: now, lastSeenAt: now };
  await insertSession(sql, session);
  return { id, csrfToken: csrfTokenFor(id), session };
}

/**
 * The live session for a cookie value, or undefined: unknown, idle too long, past its absolute
 * lifetime, or its user disabled. A local user's role is read from the user, so a change applies at
 * once. A valid session's last-seen time moves on.
 */
export async function resolveSession(deps: AccountDeps, id: string | undefined): Promise<ConsoleSession | undefined> {
  if (!id || id.length > 100) return undefined;
  const now = deps.clock();
  const idHash = hashSessionId(id);
  const session = await findSession(deps.db, idHash);
  if (!session) return undefined;
  const expired = now - session.lastSeenAt.getTime() >= deps.policy.idleTimeout || now - session.createdAt.getTime() >= deps.policy.absoluteTimeout;
  if (expired) {
    await deleteSession(deps.db, idHash);
    return undefined;
  }
  let role = session.role;
  if (!session.subject.startsWith('sso:')) {
    const user = await findUserById(deps.db, session.subject);
    if (!user || user.disabledAt) {
      await deleteSession(deps.db, idHash);
      return undefined;
    }
    role = user.role;
  }
  await touchSession(deps.db, idHash, new Date(now));
  return { ...session, role, lastSeenAt: new Date(now) };
}

export async function endSession(sql: Sql, id: string): Promise<void> {
  await deleteSession(sql, hashSessionId(id));
}

/** Removes expired sessions (they are refused anyway; this keeps the table small). */
export async function sweepSessions(deps: AccountDeps): Promise<void> {
  const now = deps.clock();
  await deleteSessionsBefore(deps.db, new Date(now - deps.policy.absoluteTimeout), new Date(now - deps.policy.idleTimeout));
}
