import type { SsoConfig } from '../../config/sso-schema.js';

/** Who asks to sign in with a password: their local user name and role. */
export interface PasswordLoginAttempt {
  readonly username: string;
  readonly role: string;
}

/**
 * Whether a password sign-in may even be tried. With `console.sso.only`, SSO is the only way in but for
 * the break-glass owners: local users named in `breakGlassOwners` whose role is still owner. The
 * console's password login calls this with the user it found (after the throttle, before the password
 * check) and answers a refusal exactly as it answers a wrong password, so it tells no one which names
 * are break-glass accounts.
 */
export function passwordLoginAllowed(sso: SsoConfig | undefined, attempt: PasswordLoginAttempt): boolean {
  if (!sso?.only) return true;
  return attempt.role === 'owner' && sso.breakGlassOwners.includes(attempt.username);
}
