import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessRecordQueue } from '../../src/observe/access-record-queue.js';
import { ACCESS_RECORD_COLUMNS, readAccessRecordRow } from '../../src/observe/access-record-rows.js';
import { insertAccessRecords, purgeAccessRecords, queryAccessRecords } from '../../src/observe/access-records.js';
import type { AccessRecord } from '../../src/observe/access-records.js';
import { createLogger } from '../../src/observe/logger.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { openEmbeddedDatabase } from '../../src/store/embedded.js';
import { migrate } from '../../src/store/migrate.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import type { Database } from '../../src/store/sql.js';

// The embedded store's own layout; the behaviour both stores share is in test/store/database.case.ts.

const START = Date.UTC(2026, 11, 1, 9, 0, 0);

function record(i: number): Omit<AccessRecord, 'at'> {
  return {
    requestId: `req-${i}`, consumerId: 'con_1', credentialId: 'key_1', credentialKind: 'api-key', service: 'companies',
    route: 'GET /companies/*', method: 'GET', path: `/companies/${i}`, status: 200, latencyMs: 2.5, upstreamMs: 1, clientIp: '127.0.0.1', problem: null,
  };
}

describe('access records on the embedded store', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openEmbeddedDatabase({});
    // A store an earlier release kept: a row per record, seqs already in the millions.
    await migrate(db, MIGRATIONS.filter((m) => m.id < '0010'));
    await db.query("SELECT setval('access_records_seq_seq', 2500000)");
    const legacy = [0, 1, 2].map((i) => `${new Date(START + i).toISOString()}\treq-${i}\tcon_1\tkey_1\tapi-key\tcompanies\tGET /companies/*\tGET\t/companies/${i}\t200\t2.5\t1\t127.0.0.1\t\\N\n`);
    await db.copyFrom('access_records', ACCESS_RECORD_COLUMNS, Buffer.from(legacy.join('')));
    await migrate(db);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('keeps a row per batch, its rows deflated, and reads it back the same', async () => {
    const queue = new AccessRecordQueue({ write: (batch) => insertAccessRecords(db, batch), maxRecords: 10_000, intervalMs: 60_000, metrics: createMetrics(), logger: createLogger({ level: 'silent' }) });
    for (let i = 3; i < 303; i++) queue.add(record(i), START + i);
    await queue.flush();
    for (let i = 303; i < 306; i++) queue.add(record(i), START + i);
    await queue.flush();
    const batches = await db.query<{ count: number; consumers: string[]; credentials: string[]; rows: Buffer }>('SELECT count, consumers, credentials, rows FROM access_record_batches ORDER BY id');
    expect(batches.map((b) => [b.count, b.consumers, b.credentials])).toEqual([[300, ['con_1'], ['key_1']], [3, ['con_1'], ['key_1']]]);
    // 300 rows of about 130 bytes each; deflated, several times smaller.
    expect(batches[0]?.rows.length).toBeLessThan(300 * 130 / 4);
    const back = await queryAccessRecords(db, { consumer: 'con_1', since: new Date(START + 3) }, 1_000);
    expect(back.map(({ seq: _seq, ...r }) => r)).toEqual(Array.from({ length: 303 }, (_, k) => ({ ...record(305 - k), at: new Date(START + 305 - k) })));
  });

  it('reads the rows an earlier release kept after every batch, paging across both, and deletes them by retention too', async () => {
    const pages: string[][] = [];
    let before: string | undefined;
    for (;;) {
      const page = await queryAccessRecords(db, { consumer: 'con_1', ...(before ? { before } : {}) }, 100);
      if (page.length === 0) break;
      pages.push(page.map((r) => r.requestId));
      before = page.at(-1)?.seq;
    }
    expect(pages.flat()).toEqual(Array.from({ length: 306 }, (_, k) => `req-${305 - k}`));
    expect(pages.map((p) => p.length)).toEqual([100, 100, 100, 6]);
    // The last three are the earlier release's rows, with their seqs: the batches' seqs were set above them.
    expect(BigInt(before as string)).toBeGreaterThan(2_500_000n);
    expect(await purgeAccessRecords(db, new Date(START + 3))).toBe(3);
    expect(await purgeAccessRecords(db, new Date(START + 1_000))).toBe(303);
    expect(await queryAccessRecords(db, {}, 10)).toEqual([]);
  });

  it('matches a filter on its own field only, though the text test looks at the whole row', async () => {
    const queue = new AccessRecordQueue({ write: (batch) => insertAccessRecords(db, batch), maxRecords: 100, intervalMs: 60_000, metrics: createMetrics(), logger: createLogger({ level: 'silent' }) });
    // `\t404\t` is in the row as the latency; `\tcompanies\t` as the service of both; the status is 200.
    queue.add({ ...record(900), requestId: 'odd-fields', consumerId: 'con_odd', status: 200, latencyMs: 404 }, START + 900);
    await queue.flush();
    expect(await queryAccessRecords(db, { consumer: 'con_odd', status: 404 }, 10)).toEqual([]);
    expect((await queryAccessRecords(db, { consumer: 'con_odd', status: 200, service: 'companies' }, 10)).map((r) => r.requestId)).toEqual(['odd-fields']);
  });

  it('reads rows back field for field: escapes, nulls and numbers', () => {
    const line = `${new Date(START).toISOString()}\ta\\\\b\\tc\\nd\\re\t\\N\t\\\\N\t\\N\t\\N\t\\N\tGET\t/\t499\tNaN\t-Infinity\t::1\tp`;
    expect(readAccessRecordRow(line)).toEqual({
      at: new Date(START), requestId: 'a\\b\tc\nd\re', consumerId: null, credentialId: '\\N', credentialKind: null, service: null, route: null,
      method: 'GET', path: '/', status: 499, latencyMs: Number.NaN, upstreamMs: Number.NEGATIVE_INFINITY, clientIp: '::1', problem: 'p',
    });
    expect(() => readAccessRecordRow('too\tfew')).toThrow(/2 fields/);
  });
});
