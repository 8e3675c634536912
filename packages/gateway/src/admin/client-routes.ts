import { z } from 'zod';
import { durationSchema, ipRangeSchema, originHostSchema, scopeSchema } from '../config/syntax.js';
import { describeClient } from '../credentials/client-model.js';
import { createClient, getClient, listClients, revokeClient, rotateClientSecret } from '../credentials/clients.js';
import { getConsumer } from '../credentials/consumers.js';
import type { CredentialDeps } from '../credentials/deps.js';
import { DEFAULT_GRACE_MS, ID, readJson } from './http.js';
import type { AdminRoute } from './routes.js';

const redirectUri = z.string().refine((text) => {
  try {
    const u = new URL(text);
    // RFC 9700 §4.1.1 / RFC 8252 §8.3: https, or http on the loopback interface for native apps.
    return !u.hash && (u.protocol === 'https:' || (u.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname)));
  } catch {
    return false;
  }
}, 'expected an https URL without fragment, such as "https://app.example.com/callback" (http only on 127.0.0.1)');

const createClientBody = z.strictObject({
  consumerId: z.string().min(1),
  scopes: z.array(scopeSchema).max(100).default([]),
  allowedIps: z.array(ipRangeSchema).max(100).default([]),
  allowedOrigins: z.array(originHostSchema).max(100).default([]),
  /** A public JWK (RFC 7517) with `alg`: the client then authenticates with private_key_jwt (RFC 7523). */
  jwk: z.looseObject({ kty: z.string() }).optional(),
  /** authorization_code clients: where the user is sent back with the code (exact match, no fragment). */
  redirectUris: z.array(redirectUri).max(20).default([]),
  /** Sender-constrained tokens (RFC 9449 DPoP): the client must present a proof with every use. */
  requireDpop: z.boolean().default(false),
});
// A zero grace cuts a leaked secret over at once.
const rotateSecretBody = z.strictObject({ grace: durationSchema('24h', { allowZero: true }).optional() });

/** OAuth clients in the admin API (CONTRACT §1 `clients`), the same operations as the CLI. */
export function clientRoutes(deps: CredentialDeps): AdminRoute[] {
  return [
    {
      method: 'GET',
      pattern: /^\/admin\/v1\/clients$/,
      handle: async ({ query }) => {
        const consumer = query.get('consumer') ?? undefined;
        if (consumer) await getConsumer(deps, consumer);
        return { status: 200, body: { clients: (await listClients(deps, consumer)).map(describeClient) } };
      },
    },
    {
      method: 'POST',
      pattern: /^\/admin\/v1\/clients$/,
      handle: async ({ req, admin }) => {
        const body = await readJson(req, createClientBody);
        const issued = await createClient(deps, admin.tokenId, body.consumerId, body);
        return { status: 201, body: { ...describeClient(issued.client), ...(issued.secret ? { client_secret: issued.secret } : {}) } };
      },
    },
    {
      method: 'GET',
      pattern: new RegExp(`^/admin/v1/clients/${ID}$`),
      handle: async ({ params }) => ({ status: 200, body: describeClient(await getClient(deps, params[0] as string)) }),
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/admin/v1/clients/${ID}/rotate-secret$`),
      handle: async ({ req, params, admin }) => {
        const body = await readJson(req, rotateSecretBody);
        const rotated = await rotateClientSecret(deps, admin.tokenId, params[0] as string, body.grace ?? DEFAULT_GRACE_MS);
        return { status: 200, body: { ...describeClient(rotated.client), client_secret: rotated.secret, previousSecretValidUntil: rotated.graceEndsAt.toISOString() } };
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/admin/v1/clients/${ID}/revoke$`),
      handle: async ({ params, admin }) => ({ status: 200, body: describeClient(await revokeClient(deps, admin.tokenId, params[0] as string)) }),
    },
  ];
}
