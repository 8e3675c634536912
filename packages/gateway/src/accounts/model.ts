/** The people who administer Portcullis through the console, and their sessions (docs/console.md). */

/** The admin roles, highest first (the same names as admin tokens, CONTRACT §5). */
export { ROLES as CONSOLE_ROLES, type Role as ConsoleRole } from '../lib/roles.js';
import { ROLES as CONSOLE_ROLES, type Role as ConsoleRole } from '../lib/roles.js';

/** True when `role` is `limit` or below it: nobody grants a role above their own. */
export function roleAtMost(role: ConsoleRole, limit: ConsoleRole): boolean {
  return CONSOLE_ROLES.indexOf(role) >= CONSOLE_ROLES.indexOf(limit);
}

export interface ConsoleUser {
  readonly id: string;
  readonly username: string;
  readonly role: ConsoleRole;
  readonly passwordHash: string | undefined;
  readonly totpSecret: string | undefined;
  readonly totpLastStep: number | undefined;
  readonly createdAt: Date;
  readonly disabledAt: Date | undefined;
}

/** enrol: set a password and MFA first; mfa: password checked, second factor due; active: signed in. */
export type SessionStage = 'enrol' | 'mfa' | 'active';

export interface ConsoleSession {
  readonly idHash: Buffer;
  /** A console user id, or `sso:<subject>` for a single sign-on identity. */
  readonly subject: string;
  readonly role: ConsoleRole;
  readonly stage: SessionStage;
  readonly pendingTotp: string | undefined;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
}

/** What the users page shows: never a hash or a secret. */
export function describeUser(user: ConsoleUser) {
  return {
    id: user.id,
    username: user.username,
    role: user.role,
    enrolled: user.passwordHash !== undefined && user.totpSecret !== undefined,
    createdAt: user.createdAt.toISOString(),
    disabledAt: user.disabledAt?.toISOString() ?? null,
  };
}
