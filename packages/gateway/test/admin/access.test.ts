import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observe/logger.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { CoalescingQueue } from '../../src/observe/coalescing-queue.js';
import { DAY, expectProblem, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway, IssuedKey } from '../helpers/gateway.js';

let t: CredentialGateway;
let consumer: string;
let key: IssuedKey;
const requestIds: Record<string, string> = {};

type AccessRow = { [field: string]: unknown; requestId: string; status: number; consumerId: string | null };

beforeAll(async () => {
  t = await startCredentialGateway();
  consumer = await t.createConsumer();
  key = await t.createKey({ consumerId: consumer, scopes: ['companies:read'] });
  const ok = await t.callWith(key.key, '/companies/7');
  const forbidden = await t.callWith(key.key, '/companies', { method: 'POST', body: '{}' });
  const bad = await t.callWith(`${key.key.slice(0, -1)}x`, '/companies/7');
  const publicCall = await t.call('/public');
  expect([ok.status, forbidden.status, bad.status, publicCall.status]).toEqual([200, 403, 401, 200]);
  Object.assign(requestIds, { ok: ok.headers['x-request-id'], forbidden: forbidden.headers['x-request-id'], bad: bad.headers['x-request-id'] });
  await t.gateway.operations.flush();
});
afterAll(() => t.stop());

async function list(query = ''): Promise<{ records: AccessRow[]; nextCursor: string | null }> {
  const reply = await t.admin('GET', `/admin/v1/access${query}`);
  expect(reply.status, reply.text).toBe(200);
  return reply.json() as { records: AccessRow[]; nextCursor: string | null };
}

describe('access records', () => {
  it('records who, what, outcome, timing and from where for every data-plane request, newest first', async () => {
    const { records } = await list();
    expect(records).toHaveLength(4);
    const ok = records.find((r) => r.requestId === requestIds.ok);
    expect(ok).toMatchObject({
      consumerId: consumer, credentialId: key.id, credentialKind: 'api-key', service: 'companies',
      route: 'GET /companies/*', method: 'GET', path: '/companies/7', status: 200, clientIp: '127.0.0.1', problem: null,
    });
    expect(ok?.latencyMs).toBeGreaterThan(0);
    expect(ok?.upstreamMs).toBeGreaterThan(0);
    expect(ok?.latencyMs as number).toBeGreaterThanOrEqual(ok?.upstreamMs as number);
    expect(records.find((r) => r.requestId === requestIds.forbidden)).toMatchObject({ consumerId: consumer, status: 403, problem: 'insufficient-scope', upstreamMs: null });
    expect(records.find((r) => r.requestId === requestIds.bad)).toMatchObject({ consumerId: null, credentialId: null, status: 401, problem: 'invalid-credential' });
    expect(records.map((r) => r.requestId)).not.toContain(undefined);
  });

  it('never stores a credential', async () => {
    const rows = await t.gateway.db.query('SELECT * FROM access_records');
    // The embedded store keeps a row per batch, its rows deflated: read them as anyone with the file could.
    const batches = await t.gateway.db.query<{ count: number; rows: Buffer }>('SELECT * FROM access_record_batches');
    const dump = JSON.stringify(rows) + JSON.stringify(batches.map((b) => ({ ...b, rows: inflateRawSync(b.rows).toString() })));
    expect(rows.length + batches.reduce((n, b) => n + b.count, 0)).toBe(4);
    expect(dump).toContain('/companies/7'); // the dump does hold the records
    expect(dump).not.toContain(key.key);
    expect(dump).not.toContain(key.key.slice(0, -1));
  });

  it('filters by consumer and status, and pages with a cursor', async () => {
    expect((await list(`?consumer=${consumer}`)).records.map((r) => r.status).sort()).toEqual([200, 403]);
    expect((await list('?status=401')).records.map((r) => r.requestId)).toEqual([requestIds.bad]);
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page: { records: AccessRow[]; nextCursor: string | null } = await list(`?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.records.length).toBe(1);
      seen.push(page.records[0]?.requestId as string);
      cursor = page.nextCursor;
    }
    expect(seen).toEqual((await list()).records.map((r) => r.requestId));
  });

  it('exports JSON lines', async () => {
    const reply = await t.admin('GET', `/admin/v1/access?format=jsonl&consumer=${consumer}`);
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('application/jsonl');
    const lines = reply.text.trim().split('\n').map((l) => JSON.parse(l) as AccessRow);
    expect(lines.map((l) => l.status).sort()).toEqual([200, 403]);
  });

  it('refuses a malformed filter, naming the parameter', async () => {
    const body = expectProblem(await t.admin('GET', '/admin/v1/access?limit=0'), 400, 'bad-request');
    expect(body.detail).toContain('"limit"');
    expect((expectProblem(await t.admin('GET', '/admin/v1/access?since=yesterday'), 400, 'bad-request')).detail).toContain('"since"');
  });

  it('deletes records past their retention (30 days by default)', async () => {
    t.clock.advance(31 * DAY);
    await t.gateway.operations.purge();
    expect((await list()).records).toEqual([]);
  });
});

describe('the coalescing queue', () => {
  it('drops and counts what does not fit, never blocking', async () => {
    const metrics = createMetrics();
    const written: number[][] = [];
    const queue = new CoalescingQueue<number, number>({ name: 'access', write: async (batch) => void written.push([...batch.values()]), maxKeys: 2, intervalMs: 60_000, metrics, logger: createLogger({ level: 'silent' }) });
    for (const n of [1, 2, 3, 4]) queue.set(n, n * 10);
    await queue.flush();
    expect(written).toEqual([[10, 20]]);
    expect(await metrics.registry.getSingleMetricAsString('portcullis_queue_dropped_total')).toContain('portcullis_queue_dropped_total{queue="access"} 2');
  });

  it('coalesces per key: a full queue still takes updates to the keys it holds', async () => {
    const metrics = createMetrics();
    const written: [string, number][][] = [];
    const queue = new CoalescingQueue<string, number>({ name: 'last-used', write: async (batch) => void written.push([...batch]), maxKeys: 2, intervalMs: 60_000, metrics, logger: createLogger({ level: 'silent' }) });
    expect([queue.set('a', 1), queue.set('b', 1), queue.set('a', 5), queue.set('c', 1)]).toEqual([true, true, true, false]);
    await queue.flush();
    await queue.flush(); // nothing pending: no empty write
    expect(written).toEqual([[['a', 5], ['b', 1]]]);
    expect(await metrics.registry.getSingleMetricAsString('portcullis_queue_dropped_total')).toContain('portcullis_queue_dropped_total{queue="last-used"} 1');
  });
});
