import { promisify } from 'node:util';
import { deflateRaw, inflateRaw } from 'node:zlib';
import { whereOf } from '../store/filtered-query.js';
import type { Database, Sql } from '../store/sql.js';
import type { AccessRecordBatch } from './access-record-queue.js';
import type { AccessFilter, StoredAccessRecord } from './access-record-repository.js';
import { copyNumber, copyText, readAccessRecordRow, rowLines } from './access-record-rows.js';
import type { AccessRecord } from './access-records.js';

/**
 * The embedded store's access records: one row of `access_record_batches` per batch the queue writes,
 * its COPY rows deflated, with the batch's time span and its consumer and credential ids beside them.
 * PGlite runs in WebAssembly on the gateway's own cores: a row per record cost it 15-27 µs of CPU, a
 * row per batch costs about 3 µs a record (docs/performance.md). Reads inflate only the batches that
 * can hold a match, newest first. PostgreSQL keeps a row per record in `access_records` (SQL-queryable).
 */

const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);

/** A record's seq is its batch's id times this, plus its place in the batch: a batch holds at most queueSize records, at most 1,000,000. */
const SEQ_PER_BATCH = 1_000_000n;
/** Batches read per query round trip; a batch is a few thousand records. */
const BATCHES_PER_READ = 4;
const COLUMNS = ['first_at', 'last_at', 'count', 'consumers', 'credentials', 'rows'] as const;

/** A text[] literal for COPY: every element double-quoted, its quotes and backslashes escaped. */
function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

/** Stores one batch as one row: all of it or none. Deflating (level 1) runs on libuv's thread pool. */
export async function insertAccessRecordBatch(db: Database, batch: AccessRecordBatch): Promise<void> {
  if (batch.count === 0) return;
  const deflated = await deflate(batch.rows, { level: 1 });
  const row =
    `${new Date(batch.firstAt).toISOString()}\t${new Date(batch.lastAt).toISOString()}\t${batch.count}\t` +
    `${copyText(arrayLiteral(batch.consumers))}\t${copyText(arrayLiteral(batch.credentials))}\t\\\\x${deflated.toString('hex')}\n`;
  await db.copyFrom('access_record_batches', COLUMNS, Buffer.from(row));
}

function matches(r: AccessRecord, filter: AccessFilter): boolean {
  return (
    (filter.consumer === undefined || r.consumerId === filter.consumer) &&
    (filter.credential === undefined || r.credentialId === filter.credential) &&
    (filter.service === undefined || r.service === filter.service) &&
    (filter.status === undefined || r.status === filter.status) &&
    (filter.clientIp === undefined || r.clientIp === filter.clientIp) &&
    (filter.since === undefined || r.at >= filter.since) &&
    (filter.until === undefined || r.at < filter.until)
  );
}

/**
 * A cheap test on a row's text that every match passes: the filter's values, each as a whole field
 * (all are inner fields, so tab-delimited), and the time stamp's text (toISOString's, which sorts as
 * the time does). Most rows fail it without being split into fields.
 */
function roughMatch(filter: AccessFilter): (line: string) => boolean {
  const fields = [filter.consumer, filter.credential, filter.service, filter.clientIp].flatMap((v) => (v === undefined ? [] : [`\t${copyText(v)}\t`]));
  if (filter.status !== undefined) fields.push(`\t${copyNumber(filter.status)}\t`);
  const since = filter.since?.toISOString();
  const until = filter.until?.toISOString();
  return (line) => {
    if (since !== undefined || until !== undefined) {
      const at = line.slice(0, line.indexOf('\t'));
      if ((since !== undefined && at < since) || (until !== undefined && at >= until)) return false;
    }
    for (const field of fields) if (!line.includes(field)) return false;
    return true;
  };
}

/** Newest first, `limit` at most, filtered, as queryAccessRecords promises. */
export async function queryAccessRecordBatches(sql: Sql, filter: AccessFilter, limit: number): Promise<StoredAccessRecord[]> {
  const found: StoredAccessRecord[] = [];
  const before = filter.before === undefined ? undefined : BigInt(filter.before);
  const mayMatch = roughMatch(filter);
  // Batches below this id; the cursor's own batch is read too, from below the cursor.
  let belowId = before === undefined ? undefined : before / SEQ_PER_BATCH + 1n;
  while (found.length < limit) {
    // Only batches that can hold a match: by time span, and by the ids each batch lists.
    const { where, params } = whereOf([
      ['id < ?', belowId?.toString()],
      ['last_at >= ?', filter.since?.toISOString()],
      ['first_at < ?', filter.until?.toISOString()],
      ['? = ANY (consumers)', filter.consumer],
      ['? = ANY (credentials)', filter.credential],
    ]);
    const batches = await sql.query<{ id: string; rows: Buffer }>(`SELECT id, rows FROM access_record_batches ${where} ORDER BY id DESC LIMIT ${BATCHES_PER_READ}`, params);
    for (const batch of batches) {
      const lines = rowLines((await inflate(batch.rows)).toString());
      const firstSeq = BigInt(batch.id) * SEQ_PER_BATCH;
      // The cursor's own batch is read from just below the cursor (batches above it are not fetched).
      const end = before !== undefined && before - firstSeq < BigInt(lines.length) ? Number(before - firstSeq) : lines.length;
      for (let i = end - 1; i >= 0 && found.length < limit; i--) {
        const line = lines[i] as string;
        if (!mayMatch(line)) continue;
        const record = readAccessRecordRow(line);
        if (matches(record, filter)) found.push({ seq: (firstSeq + BigInt(i)).toString(), ...record });
      }
      if (found.length >= limit) break;
    }
    if (batches.length < BATCHES_PER_READ) break;
    belowId = BigInt((batches.at(-1) as { id: string }).id);
  }
  return found;
}

/**
 * Deletes the batches whose every record is older than `before`; returns how many records went. A record
 * outlives its retention by its batch's span at most: seconds, where retention is days and the purge runs hourly.
 */
export async function purgeAccessRecordBatches(sql: Sql, before: Date): Promise<number> {
  const rows = await sql.query<{ count: number }>('DELETE FROM access_record_batches WHERE last_at < $1 RETURNING count', [before.toISOString()]);
  return rows.reduce((sum, row) => sum + row.count, 0);
}
