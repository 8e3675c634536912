import { z } from 'zod';
import { createUser } from '../../accounts/users.js';
import { defineOperation } from '../operation.js';
import { ROLES } from '../roles.js';
import { setupView } from '../setup-link.js';
import { userWithSetupView } from '../views.js';

export const createUserBody = z.strictObject({ username: z.string().min(1).max(64), role: z.enum(ROLES) });

export const createUserOperation = defineOperation({
  id: 'createUser',
  method: 'POST',
  path: '/users',
  summary: 'Add a console user (never above your own role), with a one-time setup link to hand over',
  permission: 'users:write',
  scope: 'global',
  request: { body: createUserBody },
  response: { status: 201, description: 'the user and their setup link (shown once)', schema: userWithSetupView },
  handle: async ({ actor, body }, { accounts }) => {
    const created = await createUser(accounts, actor, body);
    return { ...created.user, ...setupView(created.setup) };
  },
});
