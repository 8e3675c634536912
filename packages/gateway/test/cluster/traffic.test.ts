import { createSecretKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { signRequest } from '@portcullis/protocol';
import type { SigningKey } from '@portcullis/protocol';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/state/redis.js';
import { withDefaultUser } from '../../src/store/postgres.js';
import { expectProblem, startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import { captureLogs } from '../helpers/log-capture.js';
import { clearPrefix, REDIS_URL, startPrivateRedis } from '../helpers/redis.js';
import { startRecordingUpstream } from '../helpers/upstream.js';

const DATABASE_URL = process.env.PORTCULLIS_TEST_DATABASE_URL;
if (!DATABASE_URL) console.log('[skipped] shared-limit cluster tests: set PORTCULLIS_TEST_DATABASE_URL (and PORTCULLIS_TEST_REDIS_URL)');

type Upstream = Awaited<ReturnType<typeof startRecordingUpstream>>;
const service = (url: string) => ({
  name: 'api',
  upstream: url,
  rateLimit: { requests: 4, per: '1m' },
  routes: [{ match: 'GET /things', scopes: ['things:read'] }],
});

async function adminCall(t: TestGateway, path: string, body?: unknown): Promise<Record<string, string>> {
  const token = readFileSync(`${t.dataDir}/admin.token`, 'utf8').trim();
  const reply = await t.admin(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(reply.status, reply.text).toBeLessThan(300);
  return reply.json() as Record<string, string>;
}

/** Two instances, one PostgreSQL and one Redis: one budget per consumer and one nonce space. */
describe.skipIf(!DATABASE_URL || !REDIS_URL)('two instances share limits and nonces (Redis)', () => {
  const schema = `pc_traffic_${randomBytes(6).toString('hex')}`;
  const keyPrefix = `portcullis-test-${randomBytes(6).toString('hex')}:`;
  const env = { PORTCULLIS_DATABASE_URL: DATABASE_URL, PORTCULLIS_MASTER_KEY: randomBytes(32).toString('base64'), PORTCULLIS_REDIS_URL: REDIS_URL };
  let upstream: Upstream;
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    const config = { redis: { url: 'redis://127.0.0.1:6379', keyPrefix, instances: 2 }, services: [service(upstream.url)] };
    a = await startTestGateway(config, env, { databaseSchema: schema });
    b = await startTestGateway(config, env, { databaseSchema: schema });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await upstream?.close();
    const redis = await connectRedis(REDIS_URL as string, keyPrefix, captureLogs().logger);
    await clearPrefix(redis, keyPrefix);
    await redis.close();
    const client = new pg.Client({ connectionString: withDefaultUser(DATABASE_URL as string) });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  it('the (N+1)th request across both instances gets 429', async () => {
    const consumer = await adminCall(a, '/admin/v1/consumers', { name: 'shared-limit-co' });
    const { key } = await adminCall(a, '/admin/v1/keys', { consumerId: consumer.id, scopes: ['things:read'] });
    const call = (t: TestGateway) => t.call('/things', { headers: { 'x-api-key': key as string } });
    const statuses = [];
    for (const t of [a, b, a, b]) statuses.push((await call(t)).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    expectProblem(await call(b), 429, 'rate-limited');
    expectProblem(await call(a), 429, 'rate-limited');
  });

  it('a signed request replayed to the other instance is refused', async () => {
    const consumer = await adminCall(a, '/admin/v1/consumers', { name: 'shared-nonce-co' });
    const { key } = await adminCall(a, '/admin/v1/keys', { consumerId: consumer.id, scopes: ['things:read'] });
    const secret = await adminCall(a, `/admin/v1/consumers/${consumer.id}/signing-secrets`, {});
    const signing: SigningKey = { keyId: secret.keyId as string, algorithm: 'hmac-sha256', key: createSecretKey(Buffer.from(secret.secret as string, 'base64url')) };
    const headers = { 'x-api-key': key as string };
    // Both instances answer on 127.0.0.1; the signature covers the authority the client addressed.
    const target = `${a.gateway.url}/things`;
    const signature = signRequest({ method: 'GET', url: target, headers }, signing);
    expect((await a.call('/things', { headers: { ...headers, ...signature } })).status).toBe(200);
    const replayHeaders = { ...headers, ...signature, host: new URL(target).host };
    expectProblem(await b.call('/things', { headers: replayHeaders }), 401, 'invalid-signature');
    // Refused as a replay, not for some other reason (such as a different authority).
    expect((await b.admin('/metrics')).text).toMatch(/portcullis_signature_failures_total\{reason="replayed"\} 1/);
  });

  it('/readyz reports Redis', async () => {
    expect((await a.call('/readyz')).json()).toEqual({ status: 'ok', redis: 'up' });
  });
});

/** A private Redis this test stops: the insurance limiter must hold, and say so. */
describe.skipIf(!REDIS_URL)('when Redis fails', () => {
  let redis: Awaited<ReturnType<typeof startPrivateRedis>>;
  let upstream: Upstream;
  let t: TestGateway;
  let key: string;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    upstream = await startRecordingUpstream();
    t = await startTestGateway({ redis: { url: 'redis://127.0.0.1:6379', instances: 2 }, services: [service(upstream.url)] }, { PORTCULLIS_REDIS_URL: redis.url });
    const consumer = await adminCall(t, '/admin/v1/consumers', { name: 'insured-co' });
    key = (await adminCall(t, '/admin/v1/keys', { consumerId: consumer.id, scopes: ['things:read'] })).key as string;
  });
  afterAll(async () => {
    await t?.stop();
    await upstream?.close();
    await redis?.stop();
  });

  it("holds the limit at this instance's share (limit / instances), counts it in a metric and logs it", async () => {
    const call = () => t.call('/things', { headers: { 'x-api-key': key } });
    expect((await call()).status).toBe(200); // through Redis
    await redis.stop();
    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(200);
    expectProblem(await call(), 429, 'rate-limited'); // 4 / 2 instances = 2 while Redis is away: never unlimited
    const metrics = (await t.admin('/metrics')).text;
    expect(Number(metrics.match(/portcullis_rate_limit_insurance_total (\d+)/)?.[1])).toBeGreaterThanOrEqual(3);
    expect(t.logs.text()).toContain("rate limits enforced in process at this instance's share");
    expect((await t.call('/readyz')).json()).toEqual({ status: 'ok', redis: 'down' });
  });

  it('reconnects by itself when Redis is back, and counts in Redis again', async () => {
    const restarted = await startPrivateRedis(redis.port);
    redis = restarted;
    await expect.poll(async () => (await t.call('/readyz')).json(), { timeout: 10_000, interval: 200 }).toEqual({ status: 'ok', redis: 'up' });
    const insured = async () => Number((await t.admin('/metrics')).text.match(/portcullis_rate_limit_insurance_total (\d+)/)?.[1]);
    const before = await insured();
    const other = await adminCall(t, '/admin/v1/consumers', { name: 'back-co' });
    const otherKey = (await adminCall(t, '/admin/v1/keys', { consumerId: other.id, scopes: ['things:read'] })).key as string;
    for (let i = 0; i < 4; i++) expect((await t.call('/things', { headers: { 'x-api-key': otherKey } })).status).toBe(200); // the full limit again
    expectProblem(await t.call('/things', { headers: { 'x-api-key': otherKey } }), 429, 'rate-limited');
    expect(await insured()).toBe(before);
    await redis.stop();
  });

  it('refuses signed requests with 503 meanwhile: without the nonce store a replay cannot be ruled out', async () => {
    await expect.poll(async () => (await t.call('/readyz')).json(), { timeout: 10_000, interval: 200 }).toEqual({ status: 'ok', redis: 'down' });
    const other = await adminCall(t, '/admin/v1/consumers', { name: 'signing-co' }); // a fresh budget
    const otherKey = (await adminCall(t, '/admin/v1/keys', { consumerId: other.id, scopes: ['things:read'] })).key as string;
    const secret = await adminCall(t, `/admin/v1/consumers/${other.id}/signing-secrets`, {});
    const signing: SigningKey = { keyId: secret.keyId as string, algorithm: 'hmac-sha256', key: createSecretKey(Buffer.from(secret.secret as string, 'base64url')) };
    const headers = { 'x-api-key': otherKey };
    const signature = signRequest({ method: 'GET', url: `${t.gateway.url}/things`, headers }, signing);
    expectProblem(await t.call('/things', { headers: { ...headers, ...signature } }), 503, 'unavailable');
    expect((await t.call('/things', { headers })).status).toBe(200); // unsigned traffic goes on under the insurance limit
  });
});
