import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, startTestGateway } from '../helpers/gateway.js';
import type { Reply, TestGateway } from '../helpers/gateway.js';
import { dropSchema, randomSchema, skipMessage, testDatabaseUrl, withClient } from '../helpers/postgres.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { startRecordingUpstream } from '../helpers/upstream.js';

skipMessage('PostgreSQL-down drill');

/** How long a cached key may be served without the store (keys.cacheFor): short, so the drill sees the bound. */
const CACHE_FOR_MS = 3_000;

/**
 * PostgreSQL goes away under a running gateway: the gateway reaches the (shared, never stopped) server
 * through a TCP relay the test cuts, so the outage is real refused and severed connections.
 */
describe.skipIf(!testDatabaseUrl)('drill: PostgreSQL down', () => {
  const schema = randomSchema('pc_pg_down');
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
  let t: TestGateway;
  let token: string;
  const keys: Record<'cached' | 'uncached' | 'revoked', string> = { cached: '', uncached: '', revoked: '' };

  function admin(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Reply> {
    return t.admin(path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }
  const call = (key: string) => t.call('/things/1', { headers: { 'x-api-key': key } });

  beforeAll(async () => {
    const target = new URL(testDatabaseUrl as string);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(target);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    upstream = await startRecordingUpstream();
    const env = { PORTCULLIS_DATABASE_URL: viaProxy.toString(), PORTCULLIS_MASTER_KEY: randomBytes(32).toString('base64') };
    const services = [{ name: 'things', upstream: upstream.url, routes: [{ match: 'GET /things/*', scopes: ['things:read'] }] }];
    t = await startTestGateway({ keys: { cacheFor: `${CACHE_FOR_MS}ms` }, services }, env, { databaseSchema: schema });
    token = readFileSync(`${t.dataDir}/admin.token`, 'utf8').trim();
    const consumer = (await admin('POST', '/admin/v1/consumers', { name: 'outage-co' })).json() as { id: string };
    for (const name of Object.keys(keys) as (keyof typeof keys)[]) {
      const reply = await admin('POST', '/admin/v1/keys', { consumerId: consumer.id, scopes: ['things:read'] });
      keys[name] = (reply.json() as { key: string }).key;
    }
    const revoked = (await admin('POST', '/admin/v1/keys/lookup', { key: keys.revoked })).json() as { id: string };
    expect((await admin('POST', `/admin/v1/keys/${revoked.id}/revoke`)).status).toBe(200);
  });
  afterAll(async () => {
    await t?.stop();
    await upstream?.close();
    await proxy?.close();
    await dropSchema(schema);
  });

  it('while down: the cached key works for keys.cacheFor, then 503; uncached 503 with Retry-After; revoked refused; admin writes 503; /readyz 503', async () => {
    // Warm the cache: a key in use, and the revoked key's refusal.
    expect((await call(keys.cached)).status).toBe(200);
    expectProblem(await call(keys.revoked), 401, 'invalid-credential');
    await proxy.down();
    const downAt = Date.now();

    expect((await call(keys.cached)).status).toBe(200);
    const uncached = await call(keys.uncached);
    expectProblem(uncached, 503, 'unavailable');
    expect(uncached.headers['retry-after']).toBe('5');
    expectProblem(await call(keys.revoked), 401, 'invalid-credential');
    const write = await admin('POST', '/admin/v1/consumers', { name: 'written-during-outage' });
    expectProblem(write, 503, 'unavailable');
    expect(write.headers['retry-after']).toBe('5');
    expect((await t.call('/readyz')).status).toBe(503);
    expect(Date.now() - downAt, 'the checks above must run inside the cache bound').toBeLessThan(CACHE_FOR_MS);

    // Past the bound the cached key is no longer trusted: fail closed, never 200.
    await new Promise((resolve) => setTimeout(resolve, CACHE_FOR_MS - (Date.now() - downAt) + 300));
    const expired = await call(keys.cached);
    expectProblem(expired, 503, 'unavailable');
    expect(expired.headers['retry-after']).toBe('5');
    for (const key of Object.values(keys)) expect((await call(key)).status).not.toBe(200);
  });

  it('when PostgreSQL is back: the pool reconnects by itself, /readyz follows, keys work, nothing was half-written', async () => {
    await proxy.up();
    await expect.poll(async () => (await t.call('/readyz')).status, { timeout: 15_000, interval: 200 }).toBe(200);
    expect((await call(keys.cached)).status).toBe(200);
    expect((await call(keys.uncached)).status).toBe(200);
    expectProblem(await call(keys.revoked), 401, 'invalid-credential');
    await withClient(async (client) => {
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM "${schema}".consumers WHERE name = 'written-during-outage'`);
      expect(rows[0]?.n).toBe(0);
    });
    expect((await admin('POST', '/admin/v1/consumers', { name: 'written-during-outage' })).status).toBe(201);
  });
});
