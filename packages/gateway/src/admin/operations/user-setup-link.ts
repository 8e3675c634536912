import { z } from 'zod';
import { resetUser } from '../../accounts/users.js';
import { defineOperation, idSchema } from '../operation.js';
import { setupView } from '../setup-link.js';
import { userWithSetupView } from '../views.js';

export const userSetupLinkOperation = defineOperation({
  id: 'userSetupLink',
  method: 'POST',
  path: '/users/{id}/setup-link',
  summary: 'A new one-time setup link for a user (a lost phone, a forgotten password); the previous link stops working',
  permission: 'users:write',
  scope: 'global',
  request: { params: z.object({ id: idSchema }) },
  response: { status: 200, description: 'the user and their new setup link (shown once)', schema: userWithSetupView },
  handle: async ({ actor, params }, { accounts }) => {
    const reset = await resetUser(accounts, actor, params.id);
    return { ...reset.user, ...setupView(reset.setup) };
  },
});
