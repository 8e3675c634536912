import { z } from 'zod';
import { revokeConsumerCredentials } from '../../credentials/incident.js';
import { describeKey } from '../../credentials/model.js';
import { describeClient } from '../../credentials/client-model.js';
import { defineOperation, idSchema } from '../operation.js';
import { issuedKeyView } from '../views.js';

export const incidentBody = z.strictObject({ reissue: z.boolean().default(false) });

/** Incident response for one consumer: revoke all its credentials at once, optionally reissue keys. */
export const consumerIncidentOperation = defineOperation({
  id: 'consumerIncident',
  method: 'POST',
  path: '/consumers/{id}/incident',
  summary: 'Revoke every credential of a consumer at once (incident response), optionally reissuing its keys and client secrets',
  permission: 'incidents:write',
  scope: 'global',
  request: { params: z.object({ id: idSchema }), body: incidentBody },
  response: {
    status: 200,
    description: 'what was revoked, and the reissued keys shown this once',
    schema: z.object({
      consumerId: z.string(),
      revoked: z.array(z.string()).describe('the ids of the credentials revoked now'),
      reissued: z.array(issuedKeyView.extend({ replaces: z.string() })),
      revokedClients: z.array(z.string()).describe('the ids of the OAuth clients revoked now, with their secrets and tokens'),
      reissuedClients: z.array(z.looseObject({ client_id: z.string(), client_secret: z.string(), replaces: z.string() })),
    }),
  },
  handle: async ({ actor, params, body }, { credentials, flushAccess }) => {
    const result = await revokeConsumerCredentials(credentials, actor.id, params.id, body);
    await flushAccess();
    const now = credentials.clock();
    return {
      consumerId: result.consumerId,
      revoked: result.revoked,
      reissued: result.reissued.map((r) => ({ ...describeKey(r.key, credentials.policy, now), key: r.value, replaces: r.replaces })),
      revokedClients: result.revokedClients,
      reissuedClients: result.reissuedClients.map((r) => ({ ...describeClient(r.client), client_secret: r.secret, replaces: r.replaces })),
    };
  },
});
