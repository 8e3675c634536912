import { describe, expect, it } from 'vitest';
import { AccessRecordQueue } from '../../src/observe/access-record-queue.js';
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

function queue(maxRecords: number, batches: string[], fail = false) {
  const metrics = createMetrics();
  const q = new AccessRecordQueue({
    write: async (json) => {
      if (fail) throw new Error('store down');
      batches.push(json);
    },
    maxRecords, intervalMs: 60_000, metrics, logger: createLogger({ level: 'silent' }),
  });
  return { q, metrics };
}

async function dropped(metrics: ReturnType<typeof createMetrics>): Promise<number> {
  const values = (await metrics.queueDropped.get()).values;
  return values.find((v) => v.labels.queue === 'access')?.value ?? 0;
}

describe('AccessRecordQueue', () => {
  it('writes every queued record once, in order, as one JSON array stamped with ISO times', async () => {
    const batches: string[] = [];
    const { q } = queue(100, batches);
    // Two in the same millisecond share the stamp's text; the next millisecond gets its own.
    const times = [START, START, START + 1, START + 1_000];
    times.forEach((at, i) => q.add(record(i), at));
    await q.flush();
    await q.flush(); // nothing new: no second write
    expect(batches).toHaveLength(1);
    expect(JSON.parse(batches[0] as string)).toEqual(times.map((at, i) => ({ at: new Date(at).toISOString(), ...record(i) })));
  });

  it('keeps text that is not ASCII intact, through a buffer that has to grow', async () => {
    const batches: string[] = [];
    const { q } = queue(10_000, batches);
    const path = `/caf\u00e9/\u{1F600}/${'x'.repeat(3000)}`;
    for (let i = 0; i < 200; i++) q.add(record(i, path), START + i); // ~600 KB: the first buffer is 64 KB
    await q.flush();
    const written = JSON.parse(batches[0] as string) as AccessRecord[];
    expect(written).toHaveLength(200);
    expect(written.every((r) => r.path === path)).toBe(true);
  });

  it('writes the text JSON.stringify would, whatever the fields hold: quotes, backslashes, controls, lone surrogates, odd numbers', async () => {
    const batches: string[] = [];
    const { q } = queue(100, batches);
    const odd: Omit<AccessRecord, 'at'>[] = [
      { ...record(1, '/a"b\\c/\u0000\u001f\u007f'), route: 'GET /"q"/*', consumerId: 'con_\u2028\u2029', problem: 'bad-request' },
      { ...record(2, '/\ud800/\udfff/\u{1F600}'), credentialKind: 'api-key', latencyMs: 1e21, upstreamMs: 0.1 + 0.2, status: 499 },
      { ...record(3), latencyMs: Number.NaN, upstreamMs: Number.POSITIVE_INFINITY, clientIp: '::ffff:10.0.0.1' },
    ];
    odd.forEach((r, i) => q.add(r, START + i));
    await q.flush();
    const expected = odd.map((r, i) => JSON.stringify({ at: new Date(START + i).toISOString(), ...r }));
    expect(batches[0]).toBe(`[${expected.join(',')}]`);
  });

  it('writes latencies as JSON.stringify would, for hundredths and for any other number', async () => {
    const batches: string[] = [];
    const { q } = queue(10_000, batches);
    const latencies = [0, -0, 0.01, 0.1, 0.5, 1, 9.99, 10.05, 123.4, 99_999.99, 1e13 - 0.01, 1e13, 2 ** 53, 1 / 3, 0.1 + 0.2, -1.25, 5e-324];
    for (let i = 0; i < 2_000; i++) latencies.push(Math.round(Math.random() * 10 ** (1 + (i % 9))) / 100, Math.random() * 1_000);
    const records = latencies.map((latencyMs, i) => ({ ...record(i), latencyMs, upstreamMs: latencies[(i + 1) % latencies.length] as number }));
    records.forEach((r, i) => q.add(r, START + i));
    await q.flush();
    expect(batches[0]).toBe(`[${records.map((r, i) => JSON.stringify({ at: new Date(START + i).toISOString(), ...r })).join(',')}]`);
  });

  it('drops and counts what does not fit, and starts empty after a write', async () => {
    const batches: string[] = [];
    const { q, metrics } = queue(100, batches);
    const added = Array.from({ length: 150 }, (_, i) => q.add(record(i), START + i));
    expect(added.filter(Boolean)).toHaveLength(100);
    expect(await dropped(metrics)).toBe(50);
    await q.flush();
    expect(q.size).toBe(0);
    expect(q.add(record(999), START)).toBe(true);
    await q.close();
    expect(batches.map((b) => (JSON.parse(b) as unknown[]).length)).toEqual([100, 1]);
  });

  it('counts a failed write as dropped records and carries on', async () => {
    const { q, metrics } = queue(100, [], true);
    for (let i = 0; i < 7; i++) q.add(record(i), START + i);
    await q.flush();
    expect(await dropped(metrics)).toBe(7);
    expect(q.size).toBe(0);
  });
});
