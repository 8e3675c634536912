import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, startTestGateway } from '../helpers/gateway.js';
import type { Reply, TestGateway } from '../helpers/gateway.js';
import { dropSchema, randomSchema, skipMessage, testDatabaseUrl, withClient } from '../helpers/postgres.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

skipMessage('admin API error mapping on PostgreSQL');

/**
 * The admin API against a real PostgreSQL that goes away: reached through a TCP relay the test can cut,
 * so an outage is a real refused connection, and a lost connection mid-query is a real terminated backend.
 */
describe.skipIf(!testDatabaseUrl)('admin API errors on PostgreSQL', () => {
  const schema = randomSchema('pc_admin_errors');
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let t: TestGateway;
  let token: string;

  beforeAll(async () => {
    const target = new URL(testDatabaseUrl as string);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(target);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const env = { PORTCULLIS_DATABASE_URL: viaProxy.toString(), PORTCULLIS_MASTER_KEY: randomBytes(32).toString('base64') };
    t = await startTestGateway({}, env, { databaseSchema: schema });
    token = readFileSync(`${t.dataDir}/admin.token`, 'utf8').trim();
  });
  afterAll(async () => {
    await t?.stop();
    await proxy?.close();
    await dropSchema(schema);
  });

  function admin(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Reply> {
    return t.admin(path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  it('answers 503 with Retry-After while PostgreSQL refuses connections, and recovers when it is back', async () => {
    expect((await admin('GET', '/admin/v1/consumers')).status).toBe(200);
    await proxy.down();
    try {
      for (const [method, path, body] of [
        ['GET', '/admin/v1/consumers', undefined],
        ['POST', '/admin/v1/consumers', { name: 'during-outage' }],
      ] as const) {
        const reply = await admin(method, path, body);
        expectProblem(reply, 503, 'unavailable');
        expect(reply.headers['retry-after']).toBe('5');
      }
    } finally {
      await proxy.up();
    }
    expect((await admin('POST', '/admin/v1/consumers', { name: 'after-outage' })).status).toBe(201);
  });

  it('answers 503 with Retry-After when the connection is lost in the middle of a statement', async () => {
    await withClient(async (locker) => {
      // Hold the table so the admin call's INSERT waits inside its transaction, then end its backend as a
      // failover or an operator's pg_terminate_backend would.
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${schema}".consumers IN ACCESS EXCLUSIVE MODE`);
      const lockerPid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      let settled: Reply | undefined;
      const pending = admin('POST', '/admin/v1/consumers', { name: 'mid-query' }).then((reply) => (settled = reply));
      let blocked: number | undefined;
      // Generous on a loaded machine; it ends as soon as the call waits on the lock.
      for (const start = Date.now(); blocked === undefined && settled === undefined && Date.now() - start < 60_000; ) {
        const { rows } = await locker.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [lockerPid]);
        blocked = rows[0]?.pid;
        if (blocked === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(blocked, `the admin call never waited on the locked table; it answered ${settled?.text ?? 'nothing'}`).toBeDefined();
      await locker.query('SELECT pg_terminate_backend($1)', [blocked]);
      const reply = await pending;
      await locker.query('ROLLBACK');
      expectProblem(reply, 503, 'unavailable');
      expect(reply.headers['retry-after']).toBe('5');
    });
    // Nothing half-done: the consumer was not created, and the next call works.
    const list = (await admin('GET', '/admin/v1/consumers')).json() as { consumers: { name: string }[] };
    expect(list.consumers.map((c) => c.name)).not.toContain('mid-query');
    expect((await admin('POST', '/admin/v1/consumers', { name: 'mid-query' })).status).toBe(201);
  });

  it('24 concurrent creates over 3 names: one 201 per name, 409 conflict for every loser, never 500', async () => {
    const names = ['race-a', 'race-b', 'race-c'];
    const replies = await Promise.all(Array.from({ length: 24 }, (_, i) => admin('POST', '/admin/v1/consumers', { name: names[i % 3] })));
    const created = replies.filter((r) => r.status === 201).map((r) => (r.json() as { name: string }).name);
    expect(created.sort()).toEqual(names);
    const losers = replies.filter((r) => r.status !== 201);
    expect(losers).toHaveLength(21);
    for (const reply of losers) expectProblem(reply, 409, 'conflict');
    const list = (await admin('GET', '/admin/v1/consumers')).json() as { consumers: { name: string }[] };
    expect(list.consumers.filter((c) => names.includes(c.name))).toHaveLength(3);
  });
});
