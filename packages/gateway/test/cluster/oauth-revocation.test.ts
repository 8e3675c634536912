import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDefaultUser } from '../../src/store/postgres.js';
import { startRecordingUpstream } from '../helpers/upstream.js';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';

const url = process.env.PORTCULLIS_TEST_DATABASE_URL;
if (!url) console.log('[skipped] cluster OAuth tests: set PORTCULLIS_TEST_DATABASE_URL to run them against PostgreSQL');

/** Two instances on one PostgreSQL, one issuer: a token revoked at one is refused at the other within a second. */
describe.skipIf(!url)('OAuth across instances (PostgreSQL)', () => {
  const schema = `pc_oauth_${randomBytes(6).toString('hex')}`;
  const env = { PORTCULLIS_DATABASE_URL: url, PORTCULLIS_MASTER_KEY: randomBytes(32).toString('base64') };
  const issuer = 'https://api.portcullis.test';
  let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
  let a: TestGateway;
  let b: TestGateway;
  let adminToken: string;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    const config = { oauth: { issuer }, services: [{ name: 'api', upstream: upstream.url, routes: [{ match: 'GET /things', scopes: ['things:read'] }] }] };
    a = await startTestGateway(config, env, { databaseSchema: schema });
    b = await startTestGateway(config, env, { databaseSchema: schema });
    adminToken = readFileSync(`${a.dataDir}/admin.token`, 'utf8').trim();
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

  async function admin(path: string, body: unknown) {
    const reply = await a.admin(path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` }, body: JSON.stringify(body) });
    return reply.json() as Record<string, string>;
  }
  const form = (t: TestGateway, path: string, params: Record<string, string>, id: string, secret: string) =>
    t.call(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
      body: new URLSearchParams(params).toString(),
    });

  it('a token issued at one instance works at the other, and once revoked there is refused within one second', async () => {
    const consumer = await admin('/admin/v1/consumers', { name: 'cluster-oauth' });
    const client = await admin('/admin/v1/clients', { consumerId: consumer.id, scopes: ['things:read'] });
    const issued = await form(a, '/oauth/token', { grant_type: 'client_credentials' }, client.client_id as string, client.client_secret as string);
    const token = (issued.json() as { access_token: string }).access_token;
    // Cached as verified at both instances: only the change bus can stop it at b.
    for (const t of [a, b]) expect((await t.call('/things', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

    expect((await form(a, '/oauth/revoke', { token }, client.client_id as string, client.client_secret as string)).status).toBe(200);
    const start = performance.now();
    let elapsed = Infinity;
    while (performance.now() - start < 1000) {
      if ((await b.call('/things', { headers: { authorization: `Bearer ${token}` } })).status === 401) {
        elapsed = performance.now() - start;
        break;
      }
    }
    expect(elapsed).toBeLessThan(1000);
    const introspected = await form(b, '/oauth/introspect', { token }, client.client_id as string, client.client_secret as string);
    expect(introspected.text).toBe('{"active":false}');
  });
});
