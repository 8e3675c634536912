import { z } from 'zod';
import { ipRangeSchema, originHostSchema, scopeSchema } from '../../config/syntax.js';
import { describeClient } from '../../credentials/client-model.js';
import { createClient } from '../../credentials/clients.js';
import { ensureConsumerVisible } from '../consumer-limit.js';
import { defineOperation } from '../operation.js';
import { clientView } from '../views.js';

const redirectUri = z.string().refine((text) => {
  try {
    const u = new URL(text);
    // RFC 9700 §4.1.1 / RFC 8252 §8.3: https, or http on the loopback interface for native apps.
    return !u.hash && (u.protocol === 'https:' || (u.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname)));
  } catch {
    return false;
  }
}, 'expected an https URL without fragment, such as "https://app.example.com/callback" (http only on 127.0.0.1)');

export const createClientBody = z.strictObject({
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

export const createClientOperation = defineOperation({
  id: 'createClient',
  method: 'POST',
  path: '/clients',
  summary: 'Create an OAuth client for a consumer (its secret is in this response only)',
  permission: 'clients:write',
  scope: 'consumer',
  request: { body: createClientBody },
  response: { status: 201, description: 'the new client, with its secret shown this once', schema: clientView.extend({ client_secret: z.string().optional() }) },
  handle: async ({ actor, body }, { credentials }) => {
    ensureConsumerVisible(actor, body.consumerId);
    const issued = await createClient(credentials, actor.id, body.consumerId, body);
    return { ...describeClient(issued.client), ...(issued.secret ? { client_secret: issued.secret } : {}) };
  },
});
