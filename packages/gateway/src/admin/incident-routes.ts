import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CredentialDeps } from '../credentials/deps.js';
import { revokeConsumerCredentials, revokeLeakedCredential } from '../credentials/incident.js';
import { describeKey } from '../credentials/model.js';
import { describeClient } from '../credentials/client-model.js';
import type { AlertDispatcher } from '../observe/alert-dispatcher.js';
import { readJson } from './http.js';
import type { AdminRoute } from './routes.js';

const ID = '([A-Za-z0-9_]{1,64})';

const incidentBody = z.strictObject({ reissue: z.boolean().default(false) });

/** GitHub secret scanning's partner alert: a JSON array of what it found and where. */
const leakReport = z
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

export interface IncidentRouteDeps {
  readonly credentials: CredentialDeps;
  readonly alerts: AlertDispatcher;
  /** Writes queued access records now, so the review export that follows includes the latest. */
  readonly flushAccess: () => Promise<void>;
}

/** POST /admin/v1/consumers/{id}/incident and POST /admin/v1/leaks (owner and admin roles). */
export function incidentRoutes(deps: IncidentRouteDeps): AdminRoute[] {
  const { credentials, alerts } = deps;
  return [
    {
      method: 'POST',
      pattern: new RegExp(`^/admin/v1/consumers/${ID}/incident$`),
      roles: ['owner', 'admin'],
      handle: async ({ req, params, admin }) => {
        const body = await readJson(req, incidentBody);
        const result = await revokeConsumerCredentials(credentials, admin.tokenId, params[0] as string, body);
        await deps.flushAccess();
        const now = credentials.clock();
        return {
          status: 200,
          body: {
            consumerId: result.consumerId,
            revoked: result.revoked,
            reissued: result.reissued.map((r) => ({ ...describeKey(r.key, credentials.policy, now), key: r.value, replaces: r.replaces })),
            revokedClients: result.revokedClients,
            reissuedClients: result.reissuedClients.map((r) => ({ ...describeClient(r.client), client_secret: r.secret, replaces: r.replaces })),
          },
        };
      },
    },
    {
      method: 'POST',
      pattern: /^\/admin\/v1\/leaks$/,
      roles: ['owner', 'admin'],
      handle: async ({ req, admin }) => {
        const report = await readJson(req, leakReport);
        const answers = [];
        for (const item of report) {
          const outcome = await revokeLeakedCredential(credentials, `leak-report:${admin.tokenId}`, item.token);
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
            label: outcome.found ? 'true_positive' : 'false_positive',
            ...(outcome.found ? { [outcome.kind === 'api-key' ? 'key_id' : 'client_id']: outcome.id, consumer_id: outcome.consumerId, revoked: true } : {}),
          });
        }
        return { status: 200, body: answers };
      },
    },
  ];
}
