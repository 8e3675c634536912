import type { Clock } from '../state/clock.js';
import type { Database } from '../store/sql.js';
import { describeAccessRecord, queryAccessRecords } from '../observe/access-records.js';
import { listReply, optionalParam, parseListQuery } from './list-query.js';
import type { AdminRoute } from './routes.js';

const ID = /^[A-Za-z0-9_]{1,64}$/;

/** GET /admin/v1/access: the data plane's access records, filtered, newest first, paged or exported. */
export function accessRoutes(db: Database, clock: Clock): AdminRoute[] {
  return [
    {
      method: 'GET',
      pattern: /^\/admin\/v1\/access$/,
      handle: async ({ query }) => {
        const list = parseListQuery(query, clock());
        const status = optionalParam(query, 'status', /^[1-5]\d\d$/, 'an HTTP status such as 401');
        const filter = {
          consumer: optionalParam(query, 'consumer', ID, 'a consumer id'),
          credential: optionalParam(query, 'credential', ID, 'a key or client id'),
          service: optionalParam(query, 'service', /^[a-z0-9][a-z0-9-]{0,62}$/, 'a service name'),
          clientIp: optionalParam(query, 'ip', /^[0-9A-Fa-f.:]{2,45}$/, 'an IP address'),
          ...(status === undefined ? {} : { status: Number(status) }),
          ...(list.since ? { since: list.since } : {}),
          ...(list.until ? { until: list.until } : {}),
        };
        return listReply('records', list, (before, limit) => queryAccessRecords(db, { ...filter, ...(before ? { before } : {}) }, limit), describeAccessRecord);
      },
    },
  ];
}
