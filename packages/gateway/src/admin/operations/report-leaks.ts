import { createHash } from 'node:crypto';
import { z } from 'zod';
import { revokeLeakedCredential } from '../../credentials/incident.js';
import { defineOperation } from '../operation.js';

/** GitHub secret scanning's partner alert: a JSON array of what it found and where. */
export const leakReport = z
  .array(
    z.object({
      token: z.string().min(1).max(512),
      type: z.string().max(200).optional(),
      url: z.string().max(2048).optional(),
      source: z.string().max(200).optional(),
    }),
  )
  .min(1)
  .max(1000);

const leakAnswer = z.object({
  token_hash: z.string(),
  token_type: z.string().nullable(),
  label: z.enum(['true_positive', 'false_positive']),
  key_id: z.string().optional(),
  client_id: z.string().optional(),
  consumer_id: z.string().optional(),
  revoked: z.literal(true).optional(),
});

/** A leak report (secret scanning): every reported key that is ours is revoked, and an alert raised. */
export const reportLeaksOperation = defineOperation({
  id: 'reportLeaks',
  method: 'POST',
  path: '/leaks',
  summary: 'Report leaked credentials (GitHub secret scanning partner format): ours are revoked at once',
  permission: 'incidents:write',
  scope: 'global',
  request: { body: leakReport },
  response: { status: 200, description: 'one answer per reported token, named by its hash', schema: z.array(leakAnswer) },
  handle: async ({ actor, body: report }, { credentials, alerts }) => {
    const answers = [];
    for (const item of report) {
      const outcome = await revokeLeakedCredential(credentials, `leak-report:${actor.id}`, item.token);
      // The answer names what was found by hash and key id, never by the credential itself.
      const tokenHash = createHash('sha256').update(item.token).digest('hex');
      if (outcome.found) {
        const [what, subject, idField] = outcome.kind === 'api-key' ? ['key', `key:${outcome.id}`, 'keyId'] : ['the secret of OAuth client', `client:${outcome.id}`, 'clientId'];
        alerts.raise(
          {
            rule: 'leaked-key',
            severity: 'critical',
            subject,
            message: `${what} ${outcome.id} of consumer ${outcome.consumerId} was reported public${item.url ? ` at ${item.url}` : ''}; ${outcome.revokedNow ? 'revoked now' : 'it was already revoked'}`,
            detail: { [idField]: outcome.id, consumerId: outcome.consumerId, url: item.url ?? null, source: item.source ?? null, revokedNow: outcome.revokedNow },
          },
          0,
        );
      }
      answers.push({
        token_hash: tokenHash,
        token_type: item.type ?? null,
        label: outcome.found ? ('true_positive' as const) : ('false_positive' as const),
        ...(outcome.found ? { [outcome.kind === 'api-key' ? 'key_id' : 'client_id']: outcome.id, consumer_id: outcome.consumerId, revoked: true as const } : {}),
      });
    }
    return answers;
  },
});
