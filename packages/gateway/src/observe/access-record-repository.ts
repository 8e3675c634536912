import { selectNewestFirst } from '../store/filtered-query.js';
import type { Database, Sql } from '../store/sql.js';
import { insertAccessRecordBatch, purgeAccessRecordBatches, queryAccessRecordBatches } from './access-record-batch-repository.js';
import type { AccessRecordBatch } from './access-record-queue.js';
import { ACCESS_RECORD_COLUMNS } from './access-record-rows.js';
import type { AccessRecord } from './access-records.js';

/**
 * SQL for access records: batched insert, filtered pages, retention. Returns domain types, never rows.
 * PostgreSQL keeps a row per record in `access_records`; the embedded store keeps a row per batch in
 * `access_record_batches` (access-record-batch-repository.ts), and still reads any `access_records` rows an
 * earlier release wrote there, until their retention deletes them.
 */

const COLUMNS = ACCESS_RECORD_COLUMNS;

/** Appends a batch the queue wrote: one statement, all or none. */
export async function insertAccessRecords(db: Database, batch: AccessRecordBatch): Promise<void> {
  if (db.kind === 'embedded') await insertAccessRecordBatch(db, batch);
  else await db.copyFrom('access_records', COLUMNS, batch.rows);
}

/** Deletes the records older than `before` (on the embedded store, whole batches: see purgeAccessRecordBatches); returns how many. */
export async function purgeAccessRecords(db: Database, before: Date): Promise<number> {
  const rows = await db.query('DELETE FROM access_records WHERE at < $1 RETURNING 1', [before.toISOString()]);
  return rows.length + (db.kind === 'embedded' ? await purgeAccessRecordBatches(db, before) : 0);
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
export async function queryAccessRecords(db: Database, filter: AccessFilter, limit: number): Promise<StoredAccessRecord[]> {
  if (db.kind !== 'embedded') return queryAccessRecordTable(db, filter, limit);
  // Every batch's seqs are above the rows an earlier release wrote (migration 0010), so these come first.
  const newer = await queryAccessRecordBatches(db, filter, limit);
  return newer.length < limit ? [...newer, ...(await queryAccessRecordTable(db, filter, limit - newer.length))] : newer;
}

async function queryAccessRecordTable(sql: Sql, filter: AccessFilter, limit: number): Promise<StoredAccessRecord[]> {
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
