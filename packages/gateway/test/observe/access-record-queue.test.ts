import { describe, expect, it } from 'vitest';
import { AccessRecordQueue } from '../../src/observe/access-record-queue.js';
import type { AccessRecordBatch } from '../../src/observe/access-record-queue.js';
import { ACCESS_RECORD_COLUMNS } from '../../src/observe/access-record-rows.js';
import type { AccessRecord } from '../../src/observe/access-records.js';
import { createLogger } from '../../src/observe/logger.js';
import { createMetrics } from '../../src/observe/metrics.js';

const START = Date.UTC(2026, 10, 30, 12, 0, 0);

function record(i: number, path = `/companies/${i}`): Omit<AccessRecord, 'at'> {
  return {
    requestId: `req-${i}`, consumerId: i % 2 ? 'con_1' : null, credentialId: null, credentialKind: null,
    service: 'companies', route: 'GET /companies/*', method: 'GET', path, status: 200, latencyMs: 1.25, upstreamMs: null, clientIp: '127.0.0.1', problem: null,
  };
}

/** COPY text back to fields (the database's side of the format, for tests without one: see the store suite). */
function rowsOf(batch: Uint8Array): string[][] {
  const text = Buffer.from(batch).toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  const unescape = (field: string) => field.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
  return text.slice(0, -1).split('\n').map((line) => line.split('\t').map((field) => (field === '\\N' ? '<null>' : unescape(field))));
}

/** The fields a record should become, in column order. */
function fieldsOf(r: Omit<AccessRecord, 'at'>, at: number): string[] {
  const values = [new Date(at).toISOString(), r.requestId, r.consumerId, r.credentialId, r.credentialKind, r.service, r.route, r.method, r.path, r.status, r.latencyMs, r.upstreamMs, r.clientIp, r.problem];
  return values.map((v) => (v === null ? '<null>' : String(v)));
}

/** A store whose first `held` writes wait until `release()`: a database that is behind. */
function slowStore(batches: Uint8Array[], held = Number.POSITIVE_INFINITY) {
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const write = async (batch: AccessRecordBatch) => {
    batches.push(batch.rows);
    if (batches.length <= held) await gate;
  };
  return { write, release: () => release() };
}

function queue(maxRecords: number, batches: Uint8Array[], write?: (batch: AccessRecordBatch) => Promise<void>) {
  const metrics = createMetrics();
  const q = new AccessRecordQueue({
    write: write ?? (async (batch) => void batches.push(batch.rows)),
    maxRecords, intervalMs: 60_000, metrics, logger: createLogger({ level: 'silent' }),
  });
  return { q, metrics };
}

async function dropped(metrics: ReturnType<typeof createMetrics>): Promise<number> {
  const values = (await metrics.queueDropped.get()).values;
  return values.find((v) => v.labels.queue === 'access')?.value ?? 0;
}

describe('AccessRecordQueue', () => {
  it('writes every queued record once, in order, as rows of COPY text stamped with ISO times', async () => {
    const batches: Uint8Array[] = [];
    const { q } = queue(100, batches);
    // Two in the same millisecond share the stamp's text; the next millisecond gets its own.
    const times = [START, START, START + 1, START + 1_000];
    times.forEach((at, i) => q.add(record(i), at));
    await q.flush();
    await q.flush(); // nothing new: no second write
    expect(batches).toHaveLength(1);
    expect(rowsOf(batches[0] as Uint8Array)).toEqual(times.map((at, i) => fieldsOf(record(i), at)));
    expect(ACCESS_RECORD_COLUMNS).toHaveLength(fieldsOf(record(0), START).length);
  });

  it('describes each batch: its count, earliest and latest time, and distinct consumer and credential ids', async () => {
    const written: AccessRecordBatch[] = [];
    const { q } = queue(100, [], async (batch) => void written.push(batch));
    // Records are stamped when their request started, so a slow one arrives after later ones.
    const first = [
      { ...record(0), consumerId: 'con_a', credentialId: 'key_1' },
      { ...record(1), consumerId: 'con_b', credentialId: 'key_2' },
      { ...record(2), consumerId: 'con_a', credentialId: 'key_1' },
      { ...record(3), consumerId: null, credentialId: null },
    ];
    [START + 5, START + 9, START + 2, START + 7].forEach((at, i) => q.add(first[i] as Omit<AccessRecord, 'at'>, at));
    await q.flush();
    q.add({ ...record(4), consumerId: 'con_c', credentialId: null }, START + 20);
    await q.flush();
    expect(written.map(({ rows, ...rest }) => ({ ...rest, lines: Buffer.from(rows).toString().split('\n').length - 1 }))).toEqual([
      { count: 4, firstAt: START + 2, lastAt: START + 9, consumers: ['con_a', 'con_b'], credentials: ['key_1', 'key_2'], lines: 4 },
      { count: 1, firstAt: START + 20, lastAt: START + 20, consumers: ['con_c'], credentials: [], lines: 1 },
    ]);
  });

  it('keeps text that is not ASCII intact, through a buffer that has to grow', async () => {
    const batches: Uint8Array[] = [];
    const { q } = queue(10_000, batches);
    const path = `/caf\u00e9/\u{1F600}/${'x'.repeat(3000)}`;
    for (let i = 0; i < 200; i++) q.add(record(i, path), START + i); // ~600 KB: the first buffer is 64 KB
    await q.flush();
    const rows = rowsOf(batches[0] as Uint8Array);
    expect(rows).toHaveLength(200);
    expect(rows.every((fields) => fields[8] === path)).toBe(true);
  });

  it('escapes what COPY reads specially (backslash, tab, newline, carriage return) and changes nothing else but NUL', async () => {
    const batches: Uint8Array[] = [];
    const { q } = queue(100, batches);
    const odd: Omit<AccessRecord, 'at'>[] = [
      { ...record(1, '/a"b\\c/\t/\n/\r/\u0001\u001f\u007f/\\N'), route: 'GET /"q"/*', consumerId: 'con_\u2028\u2029', problem: 'bad-request' },
      { ...record(2, '\\N'), credentialKind: '\\', clientIp: '::ffff:10.0.0.1' },
    ];
    odd.forEach((r, i) => q.add(r, START + i));
    await q.flush();
    const text = Buffer.from(batches[0] as Uint8Array).toString('utf8');
    expect(text.split('\n')).toHaveLength(3); // two rows and the final newline: no newline inside a field
    expect(text.split('\n').slice(0, 2).map((line) => line.split('\t').length)).toEqual([14, 14]);
    expect(rowsOf(batches[0] as Uint8Array)).toEqual(odd.map((r, i) => fieldsOf(r, START + i)));
    // A path that reads `\N` is text, not null: only a missing value is written as the null marker.
    expect(text).toContain('\t\\\\N\t');
  });

  it('writes NUL, which PostgreSQL text cannot hold, as U+FFFD rather than losing the batch', async () => {
    const batches: Uint8Array[] = [];
    const { q } = queue(100, batches);
    q.add(record(1, '/nul\u0000here'), START);
    await q.flush();
    expect(rowsOf(batches[0] as Uint8Array)[0]?.[8]).toBe('/nul\uFFFDhere');
  });

  it('writes numbers as String() does, for hundredths and for any other number', async () => {
    const batches: Uint8Array[] = [];
    const { q } = queue(10_000, batches);
    const latencies = [0, -0, 0.01, 0.1, 0.5, 1, 9.99, 10.05, 123.4, 99_999.99, 1e13 - 0.01, 1e13, 2 ** 53, 1 / 3, 0.1 + 0.2, -1.25, 5e-324, 1e21, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    for (let i = 0; i < 2_000; i++) latencies.push(Math.round(Math.random() * 10 ** (1 + (i % 9))) / 100, Math.random() * 1_000);
    const records = latencies.map((latencyMs, i) => ({ ...record(i), latencyMs, upstreamMs: latencies[(i + 1) % latencies.length] as number }));
    records.forEach((r, i) => q.add(r, START + i));
    await q.flush();
    expect(rowsOf(batches[0] as Uint8Array)).toEqual(records.map((r, i) => fieldsOf(r, START + i)));
  });

  it('hands each batch over whole: records added while the store waits go into the next one', async () => {
    const batches: Uint8Array[] = [];
    const store = slowStore(batches);
    const { q } = queue(100, batches, store.write);
    for (let i = 0; i < 3; i++) q.add(record(i), START + i);
    const first = q.flush();
    for (let i = 3; i < 6; i++) q.add(record(i, `/overwritten/${i}`), START + i); // the store has not run yet
    store.release();
    await first;
    await q.flush();
    expect(rowsOf(batches[0] as Uint8Array)).toEqual([0, 1, 2].map((i) => fieldsOf(record(i), START + i)));
    expect(rowsOf(batches[1] as Uint8Array)).toEqual([3, 4, 5].map((i) => fieldsOf(record(i, `/overwritten/${i}`), START + i)));
  });

  it('writes a batch (half the queue) as soon as it is waiting, without waiting for the interval', async () => {
    const batches: Uint8Array[] = [];
    const { q } = queue(100, batches);
    for (let i = 0; i < 49; i++) q.add(record(i), START + i);
    expect(batches).toHaveLength(0);
    q.add(record(49), START + 49);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches.map((b) => rowsOf(b).length)).toEqual([50]);
    expect(q.size).toBe(0);
  });

  it('gives the store one batch at a time and keeps up with a busy gateway: nothing dropped while it keeps pace', async () => {
    const batches: Uint8Array[] = [];
    const gates: (() => void)[] = [];
    const { q, metrics } = queue(100, batches, async (batch) => {
      batches.push(batch.rows);
      await new Promise<void>((resolve) => gates.push(resolve));
    });
    for (let i = 0; i < 50; i++) q.add(record(i), START + i); // the first batch goes out
    for (let i = 50; i < 140; i++) q.add(record(i), START + i); // 90 wait: under the queue's 100
    expect(batches).toHaveLength(1);
    gates.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches.map((b) => rowsOf(b).length)).toEqual([50, 90]); // the next batch, at once
    gates.shift()?.();
    await q.flush();
    expect(await dropped(metrics)).toBe(0);
    expect(batches.flatMap((b) => rowsOf(b).map((fields) => fields[1]))).toEqual(Array.from({ length: 140 }, (_, i) => `req-${i}`));
  });

  it('drops and counts only what does not fit while the store is behind, and starts empty after a write', async () => {
    const batches: Uint8Array[] = [];
    const store = slowStore(batches);
    const { q, metrics } = queue(100, batches, store.write);
    const added = Array.from({ length: 200 }, (_, i) => q.add(record(i), START + i));
    expect(added.filter(Boolean)).toHaveLength(150); // 50 being written, 100 waiting
    expect(await dropped(metrics)).toBe(50);
    store.release();
    await q.flush();
    expect(q.size).toBe(0);
    expect(q.add(record(999), START)).toBe(true);
    await q.close();
    expect(batches.map((b) => rowsOf(b).length)).toEqual([50, 100, 1]);
  });

  it('flush waits for the write in progress, then writes the rest', async () => {
    const batches: Uint8Array[] = [];
    const store = slowStore(batches, 1);
    const { q } = queue(10, batches, store.write);
    for (let i = 0; i < 7; i++) q.add(record(i), START + i); // 5 go out, 2 wait
    let flushed = false;
    const flushing = q.flush().then(() => (flushed = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(flushed).toBe(false);
    store.release();
    await flushing;
    expect(batches.map((b) => rowsOf(b).length)).toEqual([5, 2]);
  });

  it('counts a failed write as dropped records and carries on', async () => {
    const { q, metrics } = queue(100, [], async () => {
      throw new Error('store down');
    });
    for (let i = 0; i < 7; i++) q.add(record(i), START + i);
    await q.flush();
    expect(await dropped(metrics)).toBe(7);
    expect(q.size).toBe(0);
  });
});
