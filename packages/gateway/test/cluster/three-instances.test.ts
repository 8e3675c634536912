import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/state/redis.js';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import { captureLogs } from '../helpers/log-capture.js';
import { dropSchema, randomSchema, skipMessage, testDatabaseUrl, withClient } from '../helpers/postgres.js';
import { clearPrefix, REDIS_URL } from '../helpers/redis.js';
import { startRecordingUpstream } from '../helpers/upstream.js';

skipMessage('three instances on PostgreSQL and Redis');

const LIMIT = 300;

/**
 * docs/deployment.md in a test: three instances on one PostgreSQL schema and one Redis, with traffic
 * flowing through all of them the whole time.
 */
describe.skipIf(!testDatabaseUrl || !REDIS_URL)('three instances on one PostgreSQL and one Redis', () => {
  const schema = randomSchema('pc_three');
  const keyPrefix = `portcullis-test-${randomBytes(6).toString('hex')}:`;
  const env = { PORTCULLIS_DATABASE_URL: testDatabaseUrl, PORTCULLIS_REDIS_URL: REDIS_URL, PORTCULLIS_MASTER_KEY: randomBytes(32).toString('base64') };
  let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
  const instances: TestGateway[] = [];
  let token: string;
  let background: Promise<void>;
  let flowing = true;
  const backgroundStatuses: number[] = [];

  const admin = async (t: TestGateway, path: string, body?: unknown) => {
    const reply = await t.admin(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(reply.status, reply.text).toBeLessThan(300);
    return reply.json() as Record<string, string>;
  };
  const newKey = async (name: string, scopes = ['things:read']) => {
    const consumer = await admin(instances[0] as TestGateway, '/admin/v1/consumers', { name });
    const issued = await admin(instances[0] as TestGateway, '/admin/v1/keys', { consumerId: consumer.id, scopes });
    return { consumerId: consumer.id as string, id: issued.id as string, key: issued.key as string };
  };

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    const config = {
      redis: { url: 'redis://127.0.0.1:6379', keyPrefix, instances: 3 },
      services: [{ name: 'api', upstream: upstream.url, rateLimit: { requests: LIMIT, per: '1h' }, routes: [{ match: 'GET /things', scopes: ['things:read'] }] }],
    };
    // One at a time: the first creates the schema, keyring and admin token the others then share.
    for (let i = 0; i < 3; i++) instances.push(await startTestGateway(config, env, { databaseSchema: schema }));
    token = readFileSync(`${instances[0]?.dataDir}/admin.token`, 'utf8').trim();
    // Traffic on its own key through all three for the whole file.
    const busy = await newKey('background-co');
    background = (async () => {
      for (let i = 0; flowing; i++) {
        const t = instances[i % 3] as TestGateway;
        backgroundStatuses.push((await t.call('/things', { headers: { 'x-api-key': busy.key } })).status);
      }
    })();
  });
  afterAll(async () => {
    flowing = false;
    await background;
    for (const t of instances) await t.stop();
    await upstream?.close();
    const redis = await connectRedis(REDIS_URL as string, keyPrefix, captureLogs().logger);
    await clearPrefix(redis, keyPrefix);
    await redis.close();
    await dropSchema(schema);
    // The background traffic never saw a failure of the cluster (429 once its own budget is spent).
    expect(backgroundStatuses.length).toBeGreaterThan(10);
    expect(backgroundStatuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
  });

  it(`one rate limit of ${LIMIT} is held across all three within 1%`, async () => {
    const { key } = await newKey('limited-co');
    const statuses: number[] = [];
    // 450 requests, 15 at a time, spread over the three instances.
    for (let round = 0; round < 30; round++) {
      const batch = await Promise.all(
        Array.from({ length: 15 }, (_, i) => (instances[(round + i) % 3] as TestGateway).call('/things', { headers: { 'x-api-key': key } })),
      );
      statuses.push(...batch.map((r) => r.status));
    }
    const admitted = statuses.filter((s) => s === 200).length;
    expect(Math.abs(admitted - LIMIT)).toBeLessThanOrEqual(LIMIT * 0.01);
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
  });

  it('a key revoked at one instance is refused at the other two within one second', async () => {
    const issued = await newKey('revoked-co');
    const key = issued.key;
    for (const t of instances) expect((await t.call('/things', { headers: { 'x-api-key': key } })).status).toBe(200); // cached everywhere
    await admin(instances[0] as TestGateway, `/admin/v1/keys/${issued.id}/revoke`);
    const revokedAt = performance.now();
    for (const t of instances.slice(1)) {
      for (;;) {
        if ((await t.call('/things', { headers: { 'x-api-key': key } })).status === 401) break;
        expect(performance.now() - revokedAt, 'still accepted a second after the revocation').toBeLessThan(1_000);
      }
    }
  });

  it('a keyring rotation at one instance is used by the others: what they seal next is under the new data key', async () => {
    const { dataKeyId } = await admin(instances[0] as TestGateway, '/admin/v1/keyring/rotate');
    const signer = await newKey('sealing-co');
    for (const t of instances.slice(1)) {
      // Learned through the change event, not a restart: poll briefly for the event to arrive.
      await expect.poll(() => t.gateway.keyring.activeKeyId, { timeout: 1_000, interval: 10 }).toBe(dataKeyId);
      const { keyId } = await admin(t, `/admin/v1/consumers/${signer.consumerId}/signing-secrets`, {});
      const sealed = await withClient(async (client) => {
        const { rows } = await client.query<{ secret_sealed: string }>(`SELECT secret_sealed FROM "${schema}".signing_keys WHERE id = $1`, [keyId]);
        return rows[0]?.secret_sealed ?? '';
      });
      expect(sealed.split('.')[1]).toBe(dataKeyId);
    }
  });
});
