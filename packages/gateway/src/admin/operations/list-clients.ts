import { z } from 'zod';
import { describeClient } from '../../credentials/client-model.js';
import { listClients } from '../../credentials/clients.js';
import { getConsumer } from '../../credentials/consumers.js';
import { ensureConsumerVisible, onlyVisible } from '../consumer-limit.js';
import { defineOperation } from '../operation.js';
import { clientView } from '../views.js';

export const listClientsOperation = defineOperation({
  id: 'listClients',
  method: 'GET',
  path: '/clients',
  summary: 'List OAuth clients, of one consumer or of all the caller may see',
  permission: 'clients:read',
  scope: 'consumer',
  request: { query: z.object({ consumer: z.string().optional().describe('only the clients of this consumer') }) },
  response: { status: 200, description: 'the clients (never their secrets)', schema: z.object({ clients: z.array(clientView) }) },
  handle: async ({ actor, query }, { credentials }) => {
    const consumer = query.get('consumer') ?? undefined;
    if (consumer) {
      ensureConsumerVisible(actor, consumer);
      await getConsumer(credentials, consumer);
    }
    return { clients: onlyVisible(actor, await listClients(credentials, consumer)).map(describeClient) };
  },
});
