import { z } from 'zod';
import { verifyAuditIntegrity } from '../../observe/audit-seal.js';
import { defineOperation } from '../operation.js';

export const verifyAuditOperation = defineOperation({
  id: 'verifyAudit',
  method: 'GET',
  path: '/audit/verify',
  summary: "Recompute the audit log's hash chain and check its sealed head",
  permission: 'audit:read',
  scope: 'global',
  request: {},
  response: {
    status: 200,
    description: 'whether the chain is whole, and where it breaks if not',
    schema: z.union([
      z.object({ ok: z.literal(true), records: z.number().int(), head: z.string().nullable(), sealedAt: z.string().nullable() }),
      z.object({
        ok: z.literal(false),
        records: z.number().int(),
        brokenAt: z.string().nullable(),
        reason: z.enum(['tampered', 'seal-invalid', 'rewritten', 'truncated', 'head-missing']),
        message: z.string(),
      }),
    ]),
  },
  handle: async (_call, { credentials, keyring }) => verifyAuditIntegrity(credentials.db, keyring),
});
