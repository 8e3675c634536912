import { z } from 'zod';
import { durationSchema } from '../../config/syntax.js';
import { getApiKey } from '../../credentials/revoke-key.js';
import { rotateApiKey } from '../../credentials/rotate-key.js';
import { ensureKeyVisible } from '../consumer-limit.js';
import { keyIdParam, keyNow } from '../credential-views.js';
import { DEFAULT_GRACE_MS } from '../http.js';
import { defineOperation, idSchema } from '../operation.js';
import { issuedKeyView } from '../views.js';

// A zero grace cuts a leaked key over at once; a lifetime of zero would make a key that never works.
export const rotateKeyBody = z.strictObject({ grace: durationSchema('24h', { allowZero: true }).optional() });

export const rotateKeyOperation = defineOperation({
  id: 'rotateKey',
  method: 'POST',
  path: '/keys/{id}/rotate',
  summary: 'Rotate an API key: a successor now, the old key valid for the grace period',
  permission: 'keys:write',
  scope: 'consumer',
  request: { params: z.object({ id: idSchema }), body: rotateKeyBody },
  response: {
    status: 201,
    description: 'the successor, with its value shown this once',
    schema: issuedKeyView.extend({ replaces: z.string(), graceEndsAt: z.iso.datetime({ offset: true }) }),
  },
  handle: async ({ actor, params, body }, { credentials }) => {
    const id = keyIdParam(params.id);
    ensureKeyVisible(actor, await getApiKey(credentials, id));
    const rotated = await rotateApiKey(credentials, actor.id, id, body.grace ?? DEFAULT_GRACE_MS);
    return { ...(await keyNow(credentials, rotated.key)), key: rotated.value, replaces: id, graceEndsAt: rotated.graceEndsAt.toISOString() };
  },
});
