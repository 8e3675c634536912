import { z } from 'zod';
import { describeAdminToken, listAdminTokens } from '../admin-tokens.js';
import { defineOperation } from '../operation.js';
import { adminTokenView } from '../views.js';

export const listAdminTokensOperation = defineOperation({
  id: 'listAdminTokens',
  method: 'GET',
  path: '/admin-tokens',
  summary: 'List admin tokens (never their values or hashes)',
  permission: 'admin-tokens:read',
  scope: 'global',
  request: {},
  response: { status: 200, description: 'the tokens', schema: z.object({ tokens: z.array(adminTokenView) }) },
  handle: async (_call, { credentials }) => {
    const now = credentials.clock();
    return { tokens: (await listAdminTokens(credentials.db)).map((t) => describeAdminToken(t, now)) };
  },
});
