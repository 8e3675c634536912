import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessRecordQueue } from '../../src/observe/access-record-queue.js';
import type { AccessRecordBatch } from '../../src/observe/access-record-queue.js';
import { ACCESS_RECORD_COLUMNS } from '../../src/observe/access-record-rows.js';
import { insertAccessRecords, purgeAccessRecords, queryAccessRecords } from '../../src/observe/access-records.js';
import type { AccessFilter } from '../../src/observe/access-records.js';
import type { AccessRecord } from '../../src/observe/access-records.js';
import { createLogger } from '../../src/observe/logger.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { StoreError } from '../../src/store/errors.js';
import type { StoreErrorCode } from '../../src/store/errors.js';
import { migrate } from '../../src/store/migrate.js';
import type { MigrateResult } from '../../src/store/migrate.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import type { Database } from '../../src/store/sql.js';

/**
 * The contract every `Database` backend must meet, run against each of them (as hono runs one router
 * suite against every router): repositories are written once and must behave the same on both.
 * `open` returns a fresh, not yet migrated database; the suite closes it.
 */
export function describeDatabase(name: string, open: () => Promise<Database>, options: { skip?: boolean } = {}): void {
  describe.skipIf(options.skip ?? false)(`Database contract: ${name}`, () => {
    let db: Database;
    let first: MigrateResult;
    // One database per backend: starting PGlite takes seconds. Tests use their own fresh ids.
    beforeAll(async () => {
      db = await open();
      first = await migrate(db);
    });
    afterAll(async () => {
      await db?.close();
    });

    const addConsumer = async (sql: Pick<Database, 'query'> = db): Promise<string> => {
      const id = `c_${randomUUID()}`;
      await sql.query('INSERT INTO consumers (id, name) VALUES ($1, $2)', [id, `name-${id}`]);
      return id;
    };
    const consumerExists = async (id: string): Promise<boolean> =>
      (await db.query('SELECT 1 FROM consumers WHERE id = $1', [id])).length === 1;

    describe('migrate', () => {
      it('applies every migration and records each once', async () => {
        expect(first).toEqual({ applied: MIGRATIONS.map((m) => m.id), unknown: [] });
        const recorded = await db.query<{ id: string; applied_at: unknown }>(
          'SELECT id, applied_at FROM schema_migrations ORDER BY id',
        );
        expect(recorded.map((r) => r.id)).toEqual(MIGRATIONS.map((m) => m.id));
        expect(recorded[0]?.applied_at).toBeInstanceOf(Date);
        const tables = await db.query<{ table_name: string }>(
          `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`,
        );
        expect(tables.map((t) => t.table_name)).toEqual([
          'access_record_batches', 'access_records', 'admin_tokens', 'alerts', 'api_keys', 'audit_events', 'audit_head',
          'console_login_failures', 'console_recovery_codes', 'console_sessions', 'console_setup_tokens', 'console_users', 'consumers', 'data_keys',
          'key_networks', 'oauth_authorization_requests', 'oauth_clients', 'oauth_codes', 'oauth_refresh_tokens', 'oauth_revoked_tokens',
          'oauth_signing_keys', 'oauth_token_families', 'oauth_used_assertions', 'schema_migrations', 'signing_keys', 'sso_one_time',
        ]);
      });

      it('is a no-op the second time', async () => {
        expect(await migrate(db)).toEqual({ applied: [], unknown: [] });
        expect(await db.query('SELECT id FROM schema_migrations')).toHaveLength(MIGRATIONS.length);
      });
    });

    describe('transaction', () => {
      it('commits when the work resolves, and returns its value', async () => {
        const id = await db.transaction((tx) => addConsumer(tx));
        expect(await consumerExists(id)).toBe(true);
      });

      it('rolls back when the work throws, and rethrows the same error', async () => {
        const boom = new Error('boom');
        let id = '';
        await expect(
          db.transaction(async (tx) => {
            id = await addConsumer(tx);
            throw boom;
          }),
        ).rejects.toBe(boom);
        expect(id).not.toBe('');
        expect(await consumerExists(id)).toBe(false);
      });

      it('rolls back when a statement failed and the work swallowed it', async () => {
        let id = '';
        const error = await db
          .transaction(async (tx) => {
            id = await addConsumer(tx);
            await tx.query('SELECT 1 / 0').catch(() => undefined);
          })
          .catch((e: unknown) => e);
        expectStoreError(error, 'transaction_aborted');
        expect(await consumerExists(id)).toBe(false);
      });

      it('refuses the Database itself inside its own transaction, and rolls back', async () => {
        let id = '';
        const error = await db
          .transaction(async (tx) => {
            id = await addConsumer(tx);
            await db.query('SELECT 1');
          })
          .catch((e: unknown) => e);
        expectStoreError(error, 'query_in_transaction');
        expect(await consumerExists(id)).toBe(false);
      });

      it('refuses a tx handle used after its transaction ended', async () => {
        const leaked = await db.transaction(async (tx) => tx);
        expectStoreError(await leaked.query('SELECT 1').catch((e: unknown) => e), 'transaction_closed');
      });

      it('never shows its uncommitted writes to a query outside it', async () => {
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let inserted!: (id: string) => void;
        const didInsert = new Promise<string>((resolve) => (inserted = resolve));
        const done = db.transaction(async (tx) => {
          inserted(await addConsumer(tx));
          await gate;
        });
        const id = await didInsert;
        const outside = db.query('SELECT 1 FROM consumers WHERE id = $1', [id]);
        if (db.kind === 'embedded') {
          // One connection: the query must wait its turn, not slip into the open transaction.
          expect(await Promise.race([outside.then(() => 'answered'), delay(50).then(() => 'waiting')])).toBe('waiting');
          release();
          await done;
          expect(await outside).toHaveLength(1);
        } else {
          expect(await outside).toHaveLength(0); // another connection, read committed
          release();
          await done;
          expect(await consumerExists(id)).toBe(true);
        }
      });
    });

    describe('values', () => {
      it('round-trips bytea as Buffer and text[] as string[]', async () => {
        const consumer = await addConsumer();
        const hash = Buffer.from([0, 1, 2, 0x5c, 0x78, 0xff, 0]);
        const scopes = ['read', 'a,b', 'with "quotes"', 'back\\slash', '{braces}', 'NULL', '', 'ünï'];
        await db.query('INSERT INTO api_keys (id, consumer_id, secret_hash, scopes) VALUES ($1, $2, $3, $4)', [
          'k_values_1', consumer, hash, scopes,
        ]);
        const [row] = await db.query('SELECT secret_hash, scopes, allowed_ips, expires_at FROM api_keys WHERE id = $1', [
          'k_values_1',
        ]);
        expect(Buffer.isBuffer(row?.secret_hash)).toBe(true);
        expect(row?.secret_hash).toEqual(hash);
        expect(row?.scopes).toEqual(scopes);
        expect(row?.allowed_ips).toEqual([]);
        expect(row?.expires_at).toBeNull();
      });

      it('returns the same JS types for timestamptz, int8, jsonb, boolean and date', async () => {
        const at = new Date('2024-02-29T12:34:56.789Z');
        const detail = { scopes: ['a'], n: 1, nested: { ok: true } };
        const [row] = await db.query(
          `INSERT INTO audit_events (at, actor, action, detail, prev_hash, hash)
           VALUES ($1, 'test', 'values', $2, $3, $3)
           RETURNING seq, at, detail, '2024-02-29'::date AS day, true AS yes, $4::bytea AS empty`,
          [at, JSON.stringify(detail), Buffer.alloc(32), Buffer.alloc(0)],
        );
        expect(row?.at).toEqual(at);
        expect(row?.detail).toEqual(detail);
        expect(row?.seq).toMatch(/^[1-9][0-9]*$/); // int8 as a lossless string
        expect(row?.day).toBe('2024-02-29');
        expect(row?.yes).toBe(true);
        expect(row?.empty).toEqual(Buffer.alloc(0));
      });

      it('passes database errors through with their SQLSTATE and without parameter values', async () => {
        const id = await addConsumer();
        const error = await db
          .query('INSERT INTO consumers (id, name) VALUES ($1, $2)', [id, 'secret-value'])
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(Error);
        expect(error).toMatchObject({ code: '23505' });
        expect(error).not.toHaveProperty('params');
      });
    });

    describe('copyFrom', () => {
      const START = Date.UTC(2026, 10, 30, 12, 0, 0);
      const record = (i: number, fields: Partial<Omit<AccessRecord, 'at'>> = {}): Omit<AccessRecord, 'at'> => ({
        requestId: `copy-${randomUUID()}-${i}`, consumerId: null, credentialId: null, credentialKind: null, service: 'companies',
        route: 'GET /companies/*', method: 'GET', path: `/companies/${i}`, status: 200, latencyMs: 1.25, upstreamMs: null,
        clientIp: '127.0.0.1', problem: null, ...fields,
      });
      const stored = async (requestIds: string[]) => {
        const rows = await queryAccessRecords(db, { since: new Date(START - 1) }, 10_000);
        const byId = new Map(rows.map((r) => [r.requestId, r]));
        return requestIds.map((id) => byId.get(id));
      };

      it('loads queued access records whatever their fields hold, and reads them back as they were', async () => {
        const consumer = `con_${randomUUID()}`;
        const odd = [
          record(0, { path: '/a"b\\c/\t\n\r/\u0001\u001f\u007f/\\N', route: 'GET /"q"/*', consumerId: consumer, problem: 'bad-request' }),
          record(1, { path: '/caf\u00e9/\u{1F600}/\u2028/' + 'x'.repeat(3000), credentialKind: 'api-key', consumerId: consumer, latencyMs: 1e21, upstreamMs: 0.1 + 0.2, status: 499 }),
          record(2, { path: '\\N', latencyMs: 5e-324, upstreamMs: 123.45, clientIp: '::ffff:10.0.0.1', credentialId: '\t' }),
          record(3, { latencyMs: 0, upstreamMs: 99_999.99 }),
        ];
        const batches: AccessRecordBatch[] = [];
        const queue = new AccessRecordQueue({ write: async (batch) => void batches.push(batch), maxRecords: 100, intervalMs: 60_000, metrics: createMetrics(), logger: createLogger({ level: 'silent' }) });
        odd.forEach((r, i) => queue.add(r, START + i));
        await queue.flush();
        for (const batch of batches) await insertAccessRecords(db, batch);
        const back = await stored(odd.map((r) => r.requestId));
        expect(back.map((r) => r && { ...r, seq: undefined })).toEqual(odd.map((r, i) => ({ ...r, at: new Date(START + i), seq: undefined })));
      });

      it('keeps what text cannot hold as U+FFFD: NUL, lone surrogates; and odd numbers as PostgreSQL has them', async () => {
        const odd = [record(0, { path: '/nul\u0000/\ud800/\udfff', latencyMs: Number.NaN, upstreamMs: Number.POSITIVE_INFINITY }), record(1, { latencyMs: Number.NEGATIVE_INFINITY })];
        const batches: AccessRecordBatch[] = [];
        const queue = new AccessRecordQueue({ write: async (batch) => void batches.push(batch), maxRecords: 100, intervalMs: 60_000, metrics: createMetrics(), logger: createLogger({ level: 'silent' }) });
        odd.forEach((r, i) => queue.add(r, START + i));
        await queue.flush();
        await insertAccessRecords(db, batches[0] as AccessRecordBatch);
        const [first, second] = await stored(odd.map((r) => r.requestId));
        expect(first).toMatchObject({ path: '/nul\uFFFD/\uFFFD/\uFFFD', latencyMs: Number.NaN, upstreamMs: Number.POSITIVE_INFINITY });
        expect(second?.latencyMs).toBe(Number.NEGATIVE_INFINITY);
      });

      it('adds all of a batch or none of it, and reports the bad row with its SQLSTATE', async () => {
        const good = `${new Date(START).toISOString()}\tcopy-${randomUUID()}\t\\N\t\\N\t\\N\t\\N\t\\N\tGET\t/\t200\t1\t\\N\t127.0.0.1\t\\N\n`;
        const bad = good.replace(/\t200\t/, '\tnot-a-status\t');
        const before = await db.query<{ n: string }>('SELECT count(*) AS n FROM access_records');
        const error = await db.copyFrom('access_records', ACCESS_RECORD_COLUMNS, Buffer.from(good + bad)).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: '22P02' }); // invalid_text_representation
        expect(await db.query('SELECT count(*) AS n FROM access_records')).toEqual(before);
        await db.copyFrom('access_records', ACCESS_RECORD_COLUMNS, Buffer.from(good));
        expect(Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM access_records'))[0]?.n)).toBe(Number(before[0]?.n) + 1);
      });

      it('refuses names that are not plain identifiers before running anything', async () => {
        await expect(db.copyFrom('access_records; DROP TABLE consumers', ['at'], Buffer.from(''))).rejects.toThrow(TypeError);
        await expect(db.copyFrom('access_records', ['at', 'path"'], Buffer.from(''))).rejects.toThrow(/plain lower-case identifiers/);
        expect(await consumerExists(await addConsumer())).toBe(true);
      });
    });

    describe('access records', () => {
      const record = (i: number, fields: Partial<Omit<AccessRecord, 'at'>> = {}): Omit<AccessRecord, 'at'> => ({
        requestId: `rec-${randomUUID()}-${i}`, consumerId: null, credentialId: null, credentialKind: null, service: 'companies',
        route: 'GET /companies/*', method: 'GET', path: `/companies/${i}`, status: 200, latencyMs: 1, upstreamMs: 0.5,
        clientIp: '127.0.0.1', problem: null, ...fields,
      });
      /** Stores `batches` as the gateway does: each through the queue, one write each. */
      const store = async (batches: { record: Omit<AccessRecord, 'at'>; at: number }[][]) => {
        const queue = new AccessRecordQueue({ write: (batch) => insertAccessRecords(db, batch), maxRecords: 10_000, intervalMs: 60_000, metrics: createMetrics(), logger: createLogger({ level: 'silent' }) });
        for (const batch of batches) {
          for (const { record: r, at } of batch) queue.add(r, at);
          await queue.flush();
        }
      };
      /** Every page of `limit` records, following the cursor as the admin API does. */
      const allPages = async (filter: AccessFilter, limit: number) => {
        const pages: string[][] = [];
        let before: string | undefined;
        for (;;) {
          const page = await queryAccessRecords(db, { ...filter, ...(before ? { before } : {}) }, limit);
          if (page.length === 0) return pages;
          pages.push(page.map((r) => r.requestId));
          before = page.at(-1)?.seq;
        }
      };

      it('reads newest first, page by page across batches, with each filter', async () => {
        const start = Date.UTC(2026, 0, 1) + Math.floor(Math.random() * 1e9);
        const [alice, bob] = [`con_${randomUUID()}`, `con_${randomUUID()}`];
        const added: { record: Omit<AccessRecord, 'at'>; at: number }[] = [];
        const batches = [0, 1, 2].map((b) =>
          Array.from({ length: 5 }, (_, i) => {
            const n = b * 5 + i;
            const entry = {
              record: record(n, {
                consumerId: n % 3 === 0 ? bob : alice, credentialId: n % 3 === 0 ? `key_bob_${n % 2}` : 'key_alice',
                service: n % 2 ? 'odd' : 'even', status: n === 7 ? 429 : 200, clientIp: n === 11 ? '203.0.113.9' : '127.0.0.1',
              }),
              at: start + n * 1000,
            };
            added.push(entry);
            return entry;
          }),
        );
        await store(batches);
        const newestFirst = (keep: (e: (typeof added)[number]) => boolean) => added.filter(keep).map((e) => e.record.requestId).reverse();
        const mine = { since: new Date(start), until: new Date(start + 15_000) };
        expect((await allPages(mine, 4)).flat()).toEqual(newestFirst(() => true));
        expect((await allPages(mine, 4)).map((p) => p.length)).toEqual([4, 4, 4, 3]);
        expect((await allPages({ consumer: bob }, 2)).flat()).toEqual(newestFirst((e) => e.record.consumerId === bob));
        expect((await allPages({ consumer: alice, credential: 'key_alice' }, 3)).flat()).toEqual(newestFirst((e) => e.record.consumerId === alice));
        expect((await allPages({ consumer: bob, credential: 'key_bob_1' }, 10)).flat()).toEqual(newestFirst((e) => e.record.credentialId === 'key_bob_1' && e.record.consumerId === bob));
        expect((await allPages({ ...mine, service: 'odd' }, 10)).flat()).toEqual(newestFirst((e) => e.record.service === 'odd'));
        expect((await allPages({ ...mine, status: 429 }, 10)).flat()).toEqual([added[7]?.record.requestId]);
        expect((await allPages({ ...mine, clientIp: '203.0.113.9' }, 10)).flat()).toEqual([added[11]?.record.requestId]);
        expect((await allPages({ since: new Date(start + 4_000), until: new Date(start + 6_000) }, 10)).flat()).toEqual([5, 4].map((n) => added[n]?.record.requestId));
        expect(await queryAccessRecords(db, { consumer: `con_${randomUUID()}` }, 10)).toEqual([]);
      });

      it('deletes the records older than the retention and says how many', async () => {
        // Long before every other test's records, so only these are old enough.
        const old = Date.UTC(2001, 0, 1);
        const consumer = `con_${randomUUID()}`;
        const at = (days: number) => old + days * 86_400_000;
        await store([
          [{ record: record(0, { consumerId: consumer }), at: at(0) }, { record: record(1, { consumerId: consumer }), at: at(1) }],
          [{ record: record(2, { consumerId: consumer }), at: at(2) }, { record: record(3, { consumerId: consumer }), at: at(10) }],
          [{ record: record(4, { consumerId: consumer }), at: at(20) }],
        ]);
        const deleted = await purgeAccessRecords(db, new Date(at(5)));
        const left = (await queryAccessRecords(db, { consumer }, 10)).map((r) => r.path);
        if (db.kind === 'embedded') {
          // A batch goes whole, once its newest record is past the retention.
          expect(deleted).toBe(2);
          expect(left).toEqual(['/companies/4', '/companies/3', '/companies/2']);
        } else {
          expect(deleted).toBe(3);
          expect(left).toEqual(['/companies/4', '/companies/3']);
        }
        expect(await purgeAccessRecords(db, new Date(at(5)))).toBe(0);
      });
    });

    describe('ping and close', () => {
      // Last on purpose: it closes the suite's database.
      it('pings true while open; after close pings false and refuses work', async () => {
        expect(await db.ping()).toBe(true);
        await db.close();
        expect(await db.ping()).toBe(false);
        expectStoreError(await db.query('SELECT 1').catch((e: unknown) => e), 'closed');
        expectStoreError(await db.copyFrom('access_records', ACCESS_RECORD_COLUMNS, Buffer.from('')).catch((e: unknown) => e), 'closed');
        await db.close(); // idempotent
      });
    });
  });
}

export function expectStoreError(error: unknown, code: StoreErrorCode): void {
  expect(error).toBeInstanceOf(StoreError);
  expect((error as StoreError).code).toBe(code);
}
