import { z } from 'zod';
import { changeRole } from '../../accounts/users.js';
import { defineOperation, idSchema } from '../operation.js';
import { ROLES } from '../roles.js';
import { userView } from '../views.js';

export const changeUserRoleBody = z.strictObject({ role: z.enum(ROLES) });

export const changeUserRoleOperation = defineOperation({
  id: 'changeUserRole',
  method: 'POST',
  path: '/users/{id}/role',
  summary: "Change a user's role: never to a role above your own, nor for a user above you; the last owner stays",
  permission: 'users:write',
  scope: 'global',
  request: { params: z.object({ id: idSchema }), body: changeUserRoleBody },
  response: { status: 200, description: 'the user with the new role', schema: userView },
  handle: async ({ actor, params, body }, { accounts }) => changeRole(accounts, actor, params.id, body.role),
});
