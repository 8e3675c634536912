import { z } from 'zod';
import { describeClient } from '../../credentials/client-model.js';
import { getClient } from '../../credentials/clients.js';
import { ensureClientVisible } from '../consumer-limit.js';
import { defineOperation, idSchema } from '../operation.js';
import { clientView } from '../views.js';

export const getClientOperation = defineOperation({
  id: 'getClient',
  method: 'GET',
  path: '/clients/{id}',
  summary: 'Show one OAuth client (never its secret)',
  permission: 'clients:read',
  scope: 'consumer',
  request: { params: z.object({ id: idSchema }) },
  response: { status: 200, description: 'the client', schema: clientView },
  handle: async ({ actor, params }, { credentials }) => describeClient(ensureClientVisible(actor, await getClient(credentials, params.id))),
});
