/**
 * The admin roles and what each may do: the one permission matrix of the admin API (docs/rbac.md).
 * Operations name the permission they need (admin/operations/*.ts); admin-handler.ts checks it for
 * every actor, token or console session, before the operation runs.
 */

import { ROLES, type Role } from '../lib/roles.js';

/** Highest first: a role may grant only itself and the roles after it. */
export { ROLES, type Role };

export const PERMISSIONS = [
  'consumers:read',
  'consumers:write',
  'keys:read',
  'keys:write',
  'clients:read',
  'clients:write',
  /** The OAuth token signing keys (JWKS). */
  'signing-keys:read',
  'signing-keys:write',
  'keyring:rotate',
  /** Approve or deny a pending authorization_code request (the login page's backend). */
  'authorizations:write',
  'audit:read',
  'access:read',
  'alerts:read',
  /** Incident response: revoke a consumer's credentials, act on a leak report. */
  'incidents:write',
  'admin-tokens:read',
  'admin-tokens:write',
  /** Console users and their roles. */
  'users:read',
  'users:write',
  /** The OpenAPI document of the admin API. */
  'api:describe',
  /** The configured services and routes, read-only. */
  'config:read',
  /** Run `portcullis check` against this gateway. */
  'check:run',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const CREDENTIALS_READ: readonly Permission[] = ['consumers:read', 'keys:read', 'clients:read', 'signing-keys:read', 'api:describe', 'config:read'];

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  owner: new Set(PERMISSIONS),
  // The same permissions as owner; the difference is rank: an admin cannot grant or revoke `owner`.
  admin: new Set(PERMISSIONS),
  developer: new Set([...CREDENTIALS_READ, 'consumers:write', 'keys:write', 'clients:write', 'authorizations:write']),
  auditor: new Set([...CREDENTIALS_READ, 'audit:read', 'access:read', 'alerts:read', 'check:run']),
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function hasPermission(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].has(permission);
}

/** Nobody grants (or takes away) a role above their own: no mass assignment through a role field. */
export function mayGrant(granter: Role, role: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(granter);
}
