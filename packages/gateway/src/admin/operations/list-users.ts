import { z } from 'zod';
import { listConsoleUsers } from '../../accounts/users.js';
import { defineOperation } from '../operation.js';
import { userView } from '../views.js';

export const listUsersOperation = defineOperation({
  id: 'listUsers',
  method: 'GET',
  path: '/users',
  summary: 'List the console users and their roles',
  permission: 'users:read',
  scope: 'global',
  request: {},
  response: { status: 200, description: 'the users', schema: z.object({ users: z.array(userView) }) },
  handle: async (_call, { accounts }) => ({ users: await listConsoleUsers(accounts) }),
});
