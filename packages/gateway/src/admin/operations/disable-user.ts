import { z } from 'zod';
import { disableUser } from '../../accounts/users.js';
import { defineOperation, idSchema } from '../operation.js';
import { userView } from '../views.js';

export const disableUserOperation = defineOperation({
  id: 'disableUser',
  method: 'POST',
  path: '/users/{id}/disable',
  summary: 'Disable a console user: their sessions end at once',
  permission: 'users:write',
  scope: 'global',
  request: { params: z.object({ id: idSchema }) },
  response: { status: 200, description: 'the user, disabled', schema: userView },
  handle: async ({ actor, params }, { accounts }) => disableUser(accounts, actor, params.id),
});
