import { z } from 'zod';
import { describeAdminToken, revokeAdminToken } from '../admin-tokens.js';
import { defineOperation, idSchema } from '../operation.js';
import { adminTokenView } from '../views.js';

export const revokeAdminTokenOperation = defineOperation({
  id: 'revokeAdminToken',
  method: 'POST',
  path: '/admin-tokens/{id}/revoke',
  summary: 'Revoke an admin token at once (including the bootstrap owner token)',
  permission: 'admin-tokens:write',
  scope: 'global',
  request: { params: z.object({ id: idSchema }) },
  response: { status: 200, description: 'the token, revoked', schema: adminTokenView },
  handle: async ({ actor, params }, { credentials }) => describeAdminToken(await revokeAdminToken(credentials, actor, params.id), credentials.clock()),
});
