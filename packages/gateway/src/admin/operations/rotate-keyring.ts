import { z } from 'zod';
import { rotateKeyring } from '../../crypto/rotate-keyring.js';
import { defineOperation } from '../operation.js';

export const rotateKeyringOperation = defineOperation({
  id: 'rotateKeyring',
  method: 'POST',
  path: '/keyring/rotate',
  summary: 'Rotate the data key that encrypts secrets at rest, re-wrapping every record',
  permission: 'keyring:rotate',
  scope: 'global',
  request: {},
  response: { status: 200, description: 'the new data key', schema: z.object({ dataKeyId: z.string(), masterKeyId: z.string(), rewrapped: z.number().int() }) },
  handle: async ({ actor }, { credentials, keyring }) => rotateKeyring(credentials, keyring, actor.id),
});
