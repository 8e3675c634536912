import { z } from 'zod';
import type { AdminServices } from '../services.js';
import { defineOperation } from '../operation.js';
import { tokenSigningKeyView } from '../views.js';

/** The published token signing keys and what each does now. */
export function describeSigningKeys({ signingKeys, credentials }: AdminServices) {
  const now = credentials.clock();
  const current = signingKeys.current(now).kid;
  return signingKeys.published(now).map((k) => ({
    kid: k.kid,
    alg: k.alg,
    signsFrom: new Date(k.signsFrom).toISOString(),
    status: k.kid === current ? ('signing' as const) : k.signsFrom > now ? ('next' as const) : ('retired' as const),
  }));
}

export const listSigningKeysOperation = defineOperation({
  id: 'listSigningKeys',
  method: 'GET',
  path: '/signing-keys',
  summary: 'List the OAuth token signing keys in the JWKS',
  permission: 'signing-keys:read',
  scope: 'global',
  request: {},
  response: { status: 200, description: 'the keys', schema: z.object({ keys: z.array(tokenSigningKeyView) }) },
  handle: async (_call, services) => ({ keys: describeSigningKeys(services) }),
});
