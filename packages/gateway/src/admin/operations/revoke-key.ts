import { z } from 'zod';
import { getApiKey, revokeApiKey } from '../../credentials/revoke-key.js';
import { ensureKeyVisible } from '../consumer-limit.js';
import { keyIdParam, keyNow } from '../credential-views.js';
import { defineOperation, idSchema } from '../operation.js';
import { keyView } from '../views.js';

export const revokeKeyOperation = defineOperation({
  id: 'revokeKey',
  method: 'POST',
  path: '/keys/{id}/revoke',
  summary: 'Revoke an API key at once, at every instance',
  permission: 'keys:write',
  scope: 'consumer',
  request: { params: z.object({ id: idSchema }) },
  response: { status: 200, description: 'the key, revoked', schema: keyView },
  handle: async ({ actor, params }, { credentials }) => {
    const id = keyIdParam(params.id);
    ensureKeyVisible(actor, await getApiKey(credentials, id));
    return keyNow(credentials, await revokeApiKey(credentials, actor.id, id));
  },
});
