import { ALERT_RULES, describeAlert, queryAlerts } from '../../observe/alerts.js';
import type { StoredAlert } from '../../observe/alerts.js';
import { listQuerySchema, listReply, optionalParam, parseListQuery } from '../list-query.js';
import { defineOperation } from '../operation.js';
import { alertView, pageOf } from '../views.js';

/** Recent anomaly alerts, newest first, filtered by rule or subject. */
export const listAlertsOperation = defineOperation({
  id: 'listAlerts',
  method: 'GET',
  path: '/alerts',
  summary: 'Recent rate-limit and anomaly alerts, newest first',
  permission: 'alerts:read',
  scope: 'global',
  request: {
    query: listQuerySchema.extend({
      rule: listQuerySchema.shape.limit.describe(`one of ${ALERT_RULES.join(', ')}`),
      subject: listQuerySchema.shape.limit.describe('a subject such as "consumer:con_x" or "ip:203.0.113.7"'),
    }),
  },
  response: { status: 200, description: 'a page of alerts', schema: pageOf('alerts', alertView), jsonLines: true },
  handle: async ({ query }, { credentials: { db, clock } }) => {
    const list = parseListQuery(query, clock());
    const filter = {
      rule: optionalParam(query, 'rule', new RegExp(`^(${ALERT_RULES.join('|')})$`), `one of ${ALERT_RULES.join(', ')}`),
      subject: optionalParam(query, 'subject', /^[a-z]+:[A-Za-z0-9_:.-]{1,100}$/, 'a subject such as "consumer:con_x" or "ip:203.0.113.7"'),
      since: list.since,
    };
    return listReply<StoredAlert, 'alerts', ReturnType<typeof describeAlert>>('alerts', list, (before, limit) => queryAlerts(db, { ...filter, before }, limit), describeAlert);
  },
});
