import { z } from 'zod';
import { durationSchema } from '../../config/syntax.js';
import { defineOperation } from '../operation.js';
import { tokenSigningKeyView } from '../views.js';
import { describeSigningKeys } from './list-signing-keys.js';

/** Long enough for resource servers that cache the JWKS (jose's default cacheMaxAge is 10 minutes). */
const DEFAULT_LEAD_MS = 15 * 60_000;

export const rotateSigningKeysBody = z.strictObject({ lead: durationSchema('15m').optional() });

export const rotateSigningKeysOperation = defineOperation({
  id: 'rotateSigningKeys',
  method: 'POST',
  path: '/signing-keys/rotate',
  summary: 'Add the next token signing key: published now, signing after the lead time',
  permission: 'signing-keys:write',
  scope: 'global',
  request: { body: rotateSigningKeysBody },
  response: {
    status: 201,
    description: 'the next key, and all published keys',
    schema: z.object({ kid: z.string(), signsFrom: z.iso.datetime({ offset: true }), keys: z.array(tokenSigningKeyView) }),
  },
  handle: async ({ actor, body }, services) => {
    const next = await services.signingKeys.rotate(body.lead ?? DEFAULT_LEAD_MS, actor.id);
    return { kid: next.kid, signsFrom: next.signsFrom.toISOString(), keys: describeSigningKeys(services) };
  },
});
