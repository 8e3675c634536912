import type { Role } from './api.js';

/**
 * What each role may do, as the admin API enforces it (docs/rbac.md). The console only hides what a
 * role cannot do; the API refuses it regardless.
 */
export const can = {
  /** Create, rotate, revoke consumers, keys and clients. */
  writeCredentials: (role: Role) => role !== 'auditor',
  manageUsers: (role: Role) => role === 'owner' || role === 'admin',
  runCheck: (role: Role) => role !== 'developer',
};

const ORDER: readonly Role[] = ['owner', 'admin', 'developer', 'auditor'];

/** The roles `role` may grant: its own and those below it. */
export function grantable(role: Role): Role[] {
  return ORDER.slice(ORDER.indexOf(role));
}
