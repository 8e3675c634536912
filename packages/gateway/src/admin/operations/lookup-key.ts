import { z } from 'zod';
import { seesConsumer } from '../actor.js';
import { findApiKeyByValue } from '../../credentials/revoke-key.js';
import { keyNow } from '../credential-views.js';
import { refuse } from '../http.js';
import { defineOperation } from '../operation.js';
import { keyView } from '../views.js';

export const lookupKeyBody = z.strictObject({ key: z.string().min(1).max(200) });

export const lookupKeyOperation = defineOperation({
  // The key itself (what one holds after a leak), found by its hash; POST so it is never in a URL.
  id: 'lookupKey',
  method: 'POST',
  path: '/keys/lookup',
  summary: 'Find the key record of a full API key value (sent in the body, never in a URL)',
  permission: 'keys:read',
  scope: 'consumer',
  request: { body: lookupKeyBody },
  response: { status: 200, description: 'the key it belongs to', schema: keyView },
  handle: async ({ actor, body }, { credentials }) => {
    const found = await findApiKeyByValue(credentials, body.key);
    if (!found || !seesConsumer(actor, found.consumerId)) refuse('not-found', 'No key matches the key given.');
    return keyNow(credentials, found);
  },
});
