import { z } from 'zod';
import { createSigningSecret } from '../../credentials/request-signing-keys.js';
import { ensureConsumerVisible } from '../consumer-limit.js';
import { defineOperation, idSchema } from '../operation.js';
import { requestSigningKeyView } from '../views.js';
import { signingKeyView } from './signing-key-view.js';

export const createSigningSecretOperation = defineOperation({
  id: 'createSigningSecret',
  method: 'POST',
  path: '/consumers/{id}/signing-secrets',
  summary: 'Create an hmac-sha256 request signing secret for a consumer (RFC 9421; shown this once)',
  permission: 'keys:write',
  scope: 'consumer',
  request: { params: z.object({ id: idSchema }) },
  response: { status: 201, description: 'the signing key, with its secret shown this once', schema: requestSigningKeyView.extend({ secret: z.string() }) },
  handle: async ({ actor, params }, { credentials, keyring }) => {
    ensureConsumerVisible(actor, params.id);
    // The secret is in this response only: it is stored sealed and never shown again.
    const created = await createSigningSecret(credentials, keyring, actor.id, params.id);
    return { ...signingKeyView(created.record), secret: created.secret };
  },
});
