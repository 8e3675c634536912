import type { Keyring } from '../crypto/keyring.js';
import { describeAuditRow, queryAudit } from '../observe/audit.js';
import { verifyAuditIntegrity } from '../observe/audit-seal.js';
import type { Clock } from '../state/clock.js';
import type { Database } from '../store/sql.js';
import { listReply, optionalParam, parseListQuery } from './list-query.js';
import type { AdminRoute } from './routes.js';

/** GET /admin/v1/audit (filters, cursor pages, JSON-lines export) and GET /admin/v1/audit/verify. */
export function auditRoutes(db: Database, keyring: Keyring, clock: Clock): AdminRoute[] {
  return [
    {
      method: 'GET',
      pattern: /^\/admin\/v1\/audit$/,
      handle: async ({ query }) => {
        const list = parseListQuery(query, clock());
        const filter = {
          actor: optionalParam(query, 'actor', /^[A-Za-z0-9_:.-]{1,100}$/, 'an actor: an admin token id or "system"'),
          action: optionalParam(query, 'action', /^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*(\.\*)?$/, 'an action such as "key.revoke", or a family such as "key.*"'),
          target: optionalParam(query, 'target', /^[A-Za-z0-9_:.-]{1,100}$/, 'a target id'),
          since: list.since,
          until: list.until,
        };
        return listReply('events', list, (before, limit) => queryAudit(db, { ...filter, before }, limit), describeAuditRow);
      },
    },
    {
      method: 'GET',
      pattern: /^\/admin\/v1\/audit\/verify$/,
      handle: async () => ({ status: 200, body: await verifyAuditIntegrity(db, keyring) }),
    },
  ];
}
