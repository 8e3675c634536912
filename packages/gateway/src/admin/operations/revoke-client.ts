import { z } from 'zod';
import { describeClient } from '../../credentials/client-model.js';
import { getClient, revokeClient } from '../../credentials/clients.js';
import { ensureClientVisible } from '../consumer-limit.js';
import { defineOperation, idSchema } from '../operation.js';
import { clientView } from '../views.js';

export const revokeClientOperation = defineOperation({
  id: 'revokeClient',
  method: 'POST',
  path: '/clients/{id}/revoke',
  summary: 'Revoke an OAuth client: its tokens stop working at every instance',
  permission: 'clients:write',
  scope: 'consumer',
  request: { params: z.object({ id: idSchema }) },
  response: { status: 200, description: 'the client, revoked', schema: clientView },
  handle: async ({ actor, params }, { credentials }) => {
    ensureClientVisible(actor, await getClient(credentials, params.id));
    return describeClient(await revokeClient(credentials, actor.id, params.id));
  },
});
