import { ALERT_RULES, describeAlert, queryAlerts } from '../observe/alerts.js';
import type { StoredAlert } from '../observe/alerts.js';
import type { Clock } from '../state/clock.js';
import type { Database } from '../store/sql.js';
import { listReply, optionalParam, parseListQuery } from './list-query.js';
import type { AdminRoute } from './routes.js';

/** GET /admin/v1/alerts: recent anomaly alerts, newest first, filtered by rule or subject. */
export function alertRoutes(db: Database, clock: Clock): AdminRoute[] {
  return [
    {
      method: 'GET',
      pattern: /^\/admin\/v1\/alerts$/,
      handle: async ({ query }) => {
        const list = parseListQuery(query, clock());
        const filter = {
          rule: optionalParam(query, 'rule', new RegExp(`^(${ALERT_RULES.join('|')})$`), `one of ${ALERT_RULES.join(', ')}`),
          subject: optionalParam(query, 'subject', /^[a-z]+:[A-Za-z0-9_:.-]{1,100}$/, 'a subject such as "consumer:con_x" or "ip:203.0.113.7"'),
          since: list.since,
        };
        return listReply<StoredAlert>('alerts', list, (before, limit) => queryAlerts(db, { ...filter, before }, limit), describeAlert);
      },
    },
  ];
}
