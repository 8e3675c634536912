import { z } from 'zod';
import { formatDuration } from '../../config/duration.js';
import { durationSchema, ipRangeSchema, originHostSchema, scopeSchema } from '../../config/syntax.js';
import { createApiKey } from '../../credentials/issue-key.js';
import { ensureConsumerVisible } from '../consumer-limit.js';
import { keyNow } from '../credential-views.js';
import { refuse } from '../http.js';
import { defineOperation } from '../operation.js';
import { issuedKeyView } from '../views.js';

export const createKeyBody = z.strictObject({
  consumerId: z.string().min(1),
  scopes: z.array(scopeSchema).max(100).default([]),
  allowedIps: z.array(ipRangeSchema).max(100).default([]),
  allowedOrigins: z.array(originHostSchema).max(100).default([]),
  expiresIn: durationSchema('24h').optional(),
});

export const createKeyOperation = defineOperation({
  id: 'createKey',
  method: 'POST',
  path: '/keys',
  summary: 'Issue an API key for a consumer (the key is in this response only)',
  permission: 'keys:write',
  scope: 'consumer',
  request: { body: createKeyBody },
  response: { status: 201, description: 'the new key, with its value shown this once', schema: issuedKeyView },
  handle: async ({ actor, body }, { credentials }) => {
    ensureConsumerVisible(actor, body.consumerId);
    if (body.expiresIn !== undefined && body.expiresIn > credentials.policy.maxAge) {
      // Refused rather than quietly capped: the caller would believe in a lifetime the key does not have.
      const detail = `${formatDuration(body.expiresIn)} is longer than the gateway's key age limit, keys.maxAge = ${formatDuration(credentials.policy.maxAge)}: ask for at most ${formatDuration(credentials.policy.maxAge)}, or raise keys.maxAge`;
      refuse('bad-request', 'The request body is not valid.', { errors: [{ pointer: '/expiresIn', field: 'expiresIn', detail }] });
    }
    const issued = await createApiKey(credentials, actor.id, body.consumerId, body);
    return { ...(await keyNow(credentials, issued.key)), key: issued.value };
  },
});
