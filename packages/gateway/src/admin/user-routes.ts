import { z } from 'zod';
import type { AccountDeps } from '../accounts/deps.js';
import { CONSOLE_ROLES } from '../accounts/model.js';
import { changeRole, createUser, disableUser, listConsoleUsers, resetUser } from '../accounts/users.js';
import type { AdminIdentity } from './admin-tokens.js';
import { ID, readJson } from './http.js';
import type { AdminRoute } from './routes.js';

/** Console users and their roles (docs/console.md). Owners and admins only; nobody grants a role above their own. */
const MANAGERS = ['owner', 'admin'] as const;
const createBody = z.strictObject({ username: z.string().min(1).max(64), role: z.enum(CONSOLE_ROLES) });
const roleBody = z.strictObject({ role: z.enum(CONSOLE_ROLES) });

const actorOf = (admin: AdminIdentity) => ({ id: admin.tokenId, role: admin.role });

/**
 * A new user's setup link carries its token in the fragment: browsers never send a fragment to a
 * server, so the token stays out of request lines, proxies and access logs.
 */
const setupView = (setup: { token: string; expiresAt: Date }) => ({ setupPath: `/console/setup#token=${setup.token}`, expiresAt: setup.expiresAt.toISOString() });

export function userRoutes(deps: AccountDeps): AdminRoute[] {
  return [
    {
      method: 'GET',
      pattern: /^\/admin\/v1\/users$/,
      roles: MANAGERS,
      handle: async () => ({ status: 200, body: { users: await listConsoleUsers(deps) } }),
    },
    {
      method: 'POST',
      pattern: /^\/admin\/v1\/users$/,
      roles: MANAGERS,
      handle: async ({ req, admin }) => {
        const created = await createUser(deps, actorOf(admin), await readJson(req, createBody));
        return { status: 201, body: { ...created.user, ...setupView(created.setup) } };
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/admin/v1/users/${ID}/role$`),
      roles: MANAGERS,
      handle: async ({ req, params, admin }) => ({ status: 200, body: await changeRole(deps, actorOf(admin), params[0] as string, (await readJson(req, roleBody)).role) }),
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/admin/v1/users/${ID}/disable$`),
      roles: MANAGERS,
      handle: async ({ params, admin }) => ({ status: 200, body: await disableUser(deps, actorOf(admin), params[0] as string) }),
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/admin/v1/users/${ID}/setup-link$`),
      roles: MANAGERS,
      handle: async ({ params, admin }) => {
        const reset = await resetUser(deps, actorOf(admin), params[0] as string);
        return { status: 200, body: { ...reset.user, ...setupView(reset.setup) } };
      },
    },
  ];
}
