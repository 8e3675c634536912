import { describeAccessRecord, queryAccessRecords } from '../../observe/access-records.js';
import { listQuerySchema, listReply, optionalParam, parseListQuery } from '../list-query.js';
import { defineOperation } from '../operation.js';
import { accessRecordView, pageOf } from '../views.js';

const ID = /^[A-Za-z0-9_]{1,64}$/;

/** The data plane's access records, filtered, newest first, paged or exported. */
export const listAccessRecordsOperation = defineOperation({
  id: 'listAccessRecords',
  method: 'GET',
  path: '/access',
  summary: "The data plane's access records, newest first, paged or exported as JSON lines",
  permission: 'access:read',
  scope: 'global',
  request: {
    query: listQuerySchema.extend({
      consumer: listQuerySchema.shape.limit.describe('a consumer id'),
      credential: listQuerySchema.shape.limit.describe('a key or client id'),
      service: listQuerySchema.shape.limit.describe('a service name'),
      ip: listQuerySchema.shape.limit.describe('a client IP address'),
      status: listQuerySchema.shape.limit.describe('an HTTP status such as 401'),
    }),
  },
  response: { status: 200, description: 'a page of records', schema: pageOf('records', accessRecordView), jsonLines: true },
  handle: async ({ query }, { credentials: { db, clock } }) => {
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
});
