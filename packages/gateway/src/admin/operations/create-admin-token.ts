import { z } from 'zod';
import { durationSchema } from '../../config/syntax.js';
import { createAdminToken, describeAdminToken } from '../admin-tokens.js';
import { defineOperation, idSchema } from '../operation.js';
import { ROLES } from '../roles.js';
import { adminTokenView } from '../views.js';

// Strict: a member that is not here (an id, a hash, a creator) is refused, not quietly assigned.
export const createAdminTokenBody = z.strictObject({
  role: z.enum(ROLES).describe('at most the role of the caller'),
  name: z.string().min(1).max(200).optional(),
  expiresIn: durationSchema('30d').optional().describe('a lifetime such as "30d"; absent: until revoked'),
  consumers: z.array(idSchema).min(1).max(100).optional().describe('developer tokens: the consumers it is limited to'),
});

export const createAdminTokenOperation = defineOperation({
  id: 'createAdminToken',
  method: 'POST',
  path: '/admin-tokens',
  summary: 'Create an admin token with a role (the token is in this response only)',
  permission: 'admin-tokens:write',
  scope: 'global',
  request: { body: createAdminTokenBody },
  response: { status: 201, description: 'the new token, with its value shown this once', schema: adminTokenView.extend({ token: z.string() }) },
  handle: async ({ actor, body }, { credentials }) => {
    const created = await createAdminToken(credentials, actor, body);
    return { ...describeAdminToken(created.record, credentials.clock()), token: created.value };
  },
});
