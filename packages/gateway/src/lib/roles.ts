/**
 * The admin role names, highest first (CONTRACT §5, docs/rbac.md): the one list that admin tokens,
 * console users, SSO group mappings and the config schema share. What each role may do is admin/roles.ts.
 */
export const ROLES = ['owner', 'admin', 'developer', 'auditor'] as const;
export type Role = (typeof ROLES)[number];
