import { z } from 'zod';
import { getApiKey } from '../../credentials/revoke-key.js';
import { ensureKeyVisible } from '../consumer-limit.js';
import { keyIdParam, keyNow } from '../credential-views.js';
import { defineOperation, idSchema } from '../operation.js';
import { keyView } from '../views.js';

export const getKeyOperation = defineOperation({
  id: 'getKey',
  method: 'GET',
  path: '/keys/{id}',
  summary: 'Show one API key (never its value)',
  permission: 'keys:read',
  scope: 'consumer',
  request: { params: z.object({ id: idSchema }) },
  response: { status: 200, description: 'the key', schema: keyView },
  handle: async ({ actor, params }, { credentials }) => keyNow(credentials, ensureKeyVisible(actor, await getApiKey(credentials, keyIdParam(params.id)))),
});
