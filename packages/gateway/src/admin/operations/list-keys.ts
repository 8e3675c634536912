import { z } from 'zod';
import { getConsumer } from '../../credentials/consumers.js';
import { describeKey } from '../../credentials/model.js';
import { listApiKeys } from '../../credentials/repository.js';
import { ensureConsumerVisible, onlyVisible } from '../consumer-limit.js';
import { disabledConsumers } from '../credential-views.js';
import { defineOperation } from '../operation.js';
import { keyView } from '../views.js';

export const listKeysOperation = defineOperation({
  id: 'listKeys',
  method: 'GET',
  path: '/keys',
  summary: 'List API keys, of one consumer or of all the caller may see',
  permission: 'keys:read',
  scope: 'consumer',
  request: { query: z.object({ consumer: z.string().optional().describe('only the keys of this consumer') }) },
  response: { status: 200, description: 'the keys (never their values)', schema: z.object({ keys: z.array(keyView) }) },
  handle: async ({ actor, query }, { credentials }) => {
    const consumer = query.get('consumer') ?? undefined;
    if (consumer) {
      ensureConsumerVisible(actor, consumer);
      await getConsumer(credentials, consumer);
    }
    const disabled = await disabledConsumers(credentials);
    const now = credentials.clock();
    const keys = onlyVisible(actor, await listApiKeys(credentials.db, consumer)).map((k) => describeKey(k, credentials.policy, now, disabled.has(k.consumerId)));
    return { keys };
  },
});
