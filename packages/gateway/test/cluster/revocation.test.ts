import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDefaultUser } from '../../src/store/postgres.js';
import { startRecordingUpstream } from '../helpers/upstream.js';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';

const url = process.env.PORTCULLIS_TEST_DATABASE_URL;
if (!url) console.log('[skipped] cluster revocation tests: set PORTCULLIS_TEST_DATABASE_URL to run them against PostgreSQL');

/** Two gateway instances on one PostgreSQL: what one revokes, the other refuses within a second. */
describe.skipIf(!url)('revocation across instances (PostgreSQL)', () => {
  const schema = `pc_cluster_${randomBytes(6).toString('hex')}`;
  const env = { PORTCULLIS_DATABASE_URL: url, PORTCULLIS_MASTER_KEY: randomBytes(32).toString('base64') };
  let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
  let a: TestGateway;
  let b: TestGateway;
  let token: string;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    const config = { services: [{ name: 'api', upstream: upstream.url, routes: [{ match: 'GET /things', scopes: ['things:read'] }] }] };
    a = await startTestGateway(config, env, { databaseSchema: schema });
    b = await startTestGateway(config, env, { databaseSchema: schema });
    token = readFileSync(`${a.dataDir}/admin.token`, 'utf8').trim();
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await upstream?.close();
    const client = new pg.Client({ connectionString: withDefaultUser(url as string) });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  async function admin(path: string, body?: unknown) {
    const reply = await a.admin(path, {
      method: body === undefined && !path.endsWith('/revoke') && !path.endsWith('/disable') ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return reply.json() as Record<string, string>;
  }

  async function refusedWithin(t: TestGateway, key: string, limitMs: number): Promise<number> {
    const start = performance.now();
    while (performance.now() - start < limitMs) {
      if ((await t.call('/things', { headers: { 'x-api-key': key } })).status === 401) return performance.now() - start;
    }
    throw new Error(`still accepted after ${limitMs} ms`);
  }

  it('a key revoked at one instance is refused at the other within one second', async () => {
    const consumer = await admin('/admin/v1/consumers', { name: 'cluster-co' });
    const key = await admin('/admin/v1/keys', { consumerId: consumer.id, scopes: ['things:read'] });
    // Both instances have the key cached (a hit at each), so only a change event can stop it at b.
    for (const t of [a, b]) expect((await t.call('/things', { headers: { 'x-api-key': key.key as string } })).status).toBe(200);
    await admin(`/admin/v1/keys/${key.id}/revoke`);
    expect(await refusedWithin(b, key.key as string, 1_000)).toBeLessThan(1_000);
  });

  it('a consumer disabled at one instance is refused at the other within one second', async () => {
    const consumer = await admin('/admin/v1/consumers', { name: 'cluster-co-2' });
    const key = await admin('/admin/v1/keys', { consumerId: consumer.id, scopes: ['things:read'] });
    expect((await b.call('/things', { headers: { 'x-api-key': key.key as string } })).status).toBe(200);
    await admin(`/admin/v1/consumers/${consumer.id}/disable`);
    expect(await refusedWithin(b, key.key as string, 1_000)).toBeLessThan(1_000);
  });

  it('after the event connection drops, the reconnect drops every cached key (missed events cannot linger)', async () => {
    const consumer = await admin('/admin/v1/consumers', { name: 'cluster-co-3' });
    const key = await admin('/admin/v1/keys', { consumerId: consumer.id, scopes: ['things:read'] });
    expect((await b.call('/things', { headers: { 'x-api-key': key.key as string } })).status).toBe(200);
    const client = new pg.Client({ connectionString: withDefaultUser(url as string) });
    await client.connect();
    try {
      // A change no event announces, then the listeners' connections cut: only the resync can catch it.
      await client.query(`UPDATE ${schema}.api_keys SET revoked_at = now() WHERE id = $1`, [key.id]);
      await client.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'portcullis-changes'`);
    } finally {
      await client.end();
    }
    expect(await refusedWithin(b, key.key as string, 5_000)).toBeLessThan(5_000);
  });
});
