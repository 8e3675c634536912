import type { Keyring } from '../crypto/keyring.js';
import type { Clock } from '../state/clock.js';
import type { Database } from '../store/sql.js';

/** The console's settings (config `console:`, docs/configuration.md), in milliseconds. */
export interface ConsolePolicy {
  /** A session unused this long ends. */
  readonly idleTimeout: number;
  /** A session ends this long after sign-in, used or not. */
  readonly absoluteTimeout: number;
  /** How long a setup link works (it works once). */
  readonly setupLinkLifetime: number;
  /** Failed sign-ins per user name and address answered at once; then each waits twice as long as the last. */
  readonly freeFailures: number;
  /** The longest wait between attempts once throttled. */
  readonly maxDelay: number;
  /** The issuer shown in authenticator apps. */
  readonly totpIssuer: string;
}

export interface AccountDeps {
  readonly db: Database;
  readonly keyring: Keyring;
  readonly clock: Clock;
  readonly policy: ConsolePolicy;
  /**
   * Whether this user may sign in with a password at all (single sign-on can be made the only way in
   * but for break-glass owners). Refused exactly like a wrong password. Absent: everyone may.
   */
  readonly passwordLoginAllowed?: (attempt: { readonly username: string; readonly role: string }) => boolean;
}
