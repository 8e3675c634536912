import { describeAuditRow, queryAudit } from '../../observe/audit.js';
import { listQuerySchema, listReply, optionalParam, parseListQuery } from '../list-query.js';
import { defineOperation } from '../operation.js';
import { auditEventView, pageOf } from '../views.js';

/** The audit log: filters, cursor pages, JSON-lines export. */
export const listAuditEventsOperation = defineOperation({
  id: 'listAuditEvents',
  method: 'GET',
  path: '/audit',
  summary: 'The audit log, newest first, paged or exported as JSON lines',
  permission: 'audit:read',
  scope: 'global',
  request: {
    query: listQuerySchema.extend({
      actor: listQuerySchema.shape.limit.describe('an actor: an admin token id, a user, or "system"'),
      action: listQuerySchema.shape.limit.describe('an action such as "key.revoke", or a family such as "key.*"'),
      target: listQuerySchema.shape.limit.describe('a target id'),
    }),
  },
  response: { status: 200, description: 'a page of events', schema: pageOf('events', auditEventView), jsonLines: true },
  handle: async ({ query }, { credentials: { db, clock } }) => {
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
});
