import { z } from 'zod';
import { durationSchema } from '../../config/syntax.js';
import { describeClient } from '../../credentials/client-model.js';
import { getClient, rotateClientSecret } from '../../credentials/clients.js';
import { ensureClientVisible } from '../consumer-limit.js';
import { DEFAULT_GRACE_MS } from '../http.js';
import { defineOperation, idSchema } from '../operation.js';
import { clientView } from '../views.js';

export const rotateClientSecretBody = z.strictObject({ grace: durationSchema('24h', { allowZero: true }).optional() }); // a zero grace cuts a leaked secret over at once

export const rotateClientSecretOperation = defineOperation({
  id: 'rotateClientSecret',
  method: 'POST',
  path: '/clients/{id}/rotate-secret',
  summary: "Rotate an OAuth client's secret: the old one works for the grace period",
  permission: 'clients:write',
  scope: 'consumer',
  request: { params: z.object({ id: idSchema }), body: rotateClientSecretBody },
  response: {
    status: 200,
    description: 'the client, with its new secret shown this once',
    schema: clientView.extend({ client_secret: z.string(), previousSecretValidUntil: z.iso.datetime({ offset: true }) }),
  },
  handle: async ({ actor, params, body }, { credentials }) => {
    ensureClientVisible(actor, await getClient(credentials, params.id));
    const rotated = await rotateClientSecret(credentials, actor.id, params.id, body.grace ?? DEFAULT_GRACE_MS);
    return { ...describeClient(rotated.client), client_secret: rotated.secret as string, previousSecretValidUntil: rotated.graceEndsAt.toISOString() };
  },
});
