import { z } from 'zod';
import { addPublicKey, parseEd25519Jwk } from '../../credentials/request-signing-keys.js';
import { ensureConsumerVisible } from '../consumer-limit.js';
import { defineOperation, idSchema } from '../operation.js';
import { requestSigningKeyView } from '../views.js';
import { signingKeyView } from './signing-key-view.js';

export const addPublicKeyBody = z.strictObject({
  jwk: z
    .unknown()
    .transform((jwk, ctx) => {
      const parsed = parseEd25519Jwk(jwk);
      if (!parsed.ok) {
        ctx.addIssue({ code: 'custom', message: parsed.message });
        return z.NEVER;
      }
      return parsed.jwk;
    })
    .describe('an Ed25519 public JWK (RFC 8037): {"kty":"OKP","crv":"Ed25519","x":...}'),
});

export const addPublicKeyOperation = defineOperation({
  id: 'addPublicKey',
  method: 'POST',
  path: '/consumers/{id}/public-keys',
  summary: "Register a consumer's ed25519 public key for request signatures (RFC 9421)",
  permission: 'keys:write',
  scope: 'consumer',
  request: { params: z.object({ id: idSchema }), body: addPublicKeyBody },
  response: { status: 201, description: 'the registered key', schema: requestSigningKeyView },
  handle: async ({ actor, params, body }, { credentials }) => {
    ensureConsumerVisible(actor, params.id);
    return signingKeyView(await addPublicKey(credentials, actor.id, params.id, body.jwk));
  },
});
