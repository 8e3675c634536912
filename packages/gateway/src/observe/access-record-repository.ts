import { selectNewestFirst } from '../store/filtered-query.js';
import type { Sql } from '../store/sql.js';
import type { AccessRecord } from './access-records.js';

/** SQL for access records: batched insert, filtered pages, retention. Returns domain types, never rows. */

const COLUMNS = ['at', 'request_id', 'consumer_id', 'credential_id', 'credential_kind', 'service', 'route', 'method', 'path', 'status', 'latency_ms', 'upstream_ms', 'client_ip', 'problem'] as const;

/** Each column, the AccessRecord field it comes from and its type: read from the batch's JSON by name. */
const FIELDS: Record<(typeof COLUMNS)[number], [keyof AccessRecord, string]> = {
  at: ['at', 'timestamptz'], request_id: ['requestId', 'text'], consumer_id: ['consumerId', 'text'], credential_id: ['credentialId', 'text'],
  credential_kind: ['credentialKind', 'text'], service: ['service', 'text'], route: ['route', 'text'], method: ['method', 'text'], path: ['path', 'text'],
  status: ['status', 'int4'], latency_ms: ['latencyMs', 'float8'], upstream_ms: ['upstreamMs', 'float8'], client_ip: ['clientIp', 'text'], problem: ['problem', 'text'],
};

const INSERT_BATCH = `INSERT INTO access_records (${COLUMNS.join(', ')})
  SELECT ${COLUMNS.map((column) => `"${FIELDS[column][0]}"`).join(', ')}
  FROM json_to_recordset($1::json) AS r(${COLUMNS.map((column) => `"${FIELDS[column][0]}" ${FIELDS[column][1]}`).join(', ')})`;

/**
 * A whole batch in one statement and one parameter: the records as a JSON array (AccessRecordQueue keeps
 * them as JSON text), unpacked by PostgreSQL. Against one array per column this allocates far less on
 * the request thread and costs the embedded store a quarter less per row (docs/performance.md).
 */
export async function insertAccessRecordsJson(sql: Sql, json: string): Promise<void> {
  await sql.query(INSERT_BATCH, [json]);
}

export async function purgeAccessRecords(sql: Sql, before: Date): Promise<number> {
  const rows = await sql.query('DELETE FROM access_records WHERE at < $1 RETURNING 1', [before.toISOString()]);
  return rows.length;
}

export interface AccessFilter {
  readonly consumer?: string;
  readonly credential?: string;
  readonly service?: string;
  readonly status?: number;
  readonly clientIp?: string;
  readonly since?: Date;
  readonly until?: Date;
  /** Records older than this sequence number (the cursor of the previous page). */
  readonly before?: string;
}

export interface StoredAccessRecord extends AccessRecord {
  readonly seq: string;
}

/** Newest first, `limit` at most, filtered; the last record's seq is the next page's cursor. */
export async function queryAccessRecords(sql: Sql, filter: AccessFilter, limit: number): Promise<StoredAccessRecord[]> {
  const rows = await selectNewestFirst(
    sql,
    `SELECT seq, ${COLUMNS.join(', ')} FROM access_records`,
    [
      ['consumer_id = ?', filter.consumer],
      ['credential_id = ?', filter.credential],
      ['service = ?', filter.service],
      ['status = ?', filter.status],
      ['client_ip = ?', filter.clientIp],
      ['at >= ?', filter.since?.toISOString()],
      ['at < ?', filter.until?.toISOString()],
      ['seq < ?', filter.before],
    ],
    limit,
  );
  return rows.map((row) => ({
    seq: row.seq as string,
    at: row.at as Date,
    requestId: row.request_id as string,
    consumerId: row.consumer_id as string | null,
    credentialId: row.credential_id as string | null,
    credentialKind: row.credential_kind as string | null,
    service: row.service as string | null,
    route: row.route as string | null,
    method: row.method as string,
    path: row.path as string,
    status: row.status as number,
    latencyMs: row.latency_ms as number,
    upstreamMs: row.upstream_ms as number | null,
    clientIp: row.client_ip as string,
    problem: row.problem as string | null,
  }));
}
