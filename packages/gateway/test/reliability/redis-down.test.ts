import { createSecretKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { signRequest } from '@portcullis/protocol';
import type { SigningKey } from '@portcullis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/state/redis.js';
import { expectProblem, startTestGateway } from '../helpers/gateway.js';
import type { Reply, TestGateway } from '../helpers/gateway.js';
import { captureLogs } from '../helpers/log-capture.js';
import { clearPrefix, REDIS_URL } from '../helpers/redis.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { startRecordingUpstream } from '../helpers/upstream.js';

const COMMAND_TIMEOUT_MS = 300;

/**
 * Redis goes away under a running gateway: reached through a TCP relay the test cuts (connections
 * destroyed, new ones refused) or blackholes (connections open, nothing answered), never by stopping
 * the shared server. Limits must never become unlimited, and a replay must never be accepted.
 */
describe.skipIf(!REDIS_URL)('drill: Redis down', () => {
  const keyPrefix = `portcullis-test-${randomBytes(6).toString('hex')}:`;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
  let t: TestGateway;
  let token: string;

  const admin = async (path: string, body: unknown = {}) => {
    const reply = await t.admin(path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(reply.status, reply.text).toBeLessThan(300);
    return reply.json() as Record<string, string>;
  };
  /** A fresh consumer (its own budget) with a key and an HMAC signing secret. */
  const newClient = async (name: string) => {
    const consumer = await admin('/admin/v1/consumers', { name });
    const { key } = await admin('/admin/v1/keys', { consumerId: consumer.id, scopes: ['things:read'] });
    const secret = await admin(`/admin/v1/consumers/${consumer.id}/signing-secrets`);
    const signing: SigningKey = { keyId: secret.keyId as string, algorithm: 'hmac-sha256', key: createSecretKey(Buffer.from(secret.secret as string, 'base64url')) };
    const headers = { 'x-api-key': key as string };
    return {
      call: (): Promise<Reply> => t.call('/things', { headers }),
      signed: () => ({ ...headers, ...signRequest({ method: 'GET', url: `${t.gateway.url}/things`, headers }, signing) }),
      send: (signed: Record<string, string>) => t.call('/things', { headers: signed }),
    };
  };
  const insured = async () => Number((await t.admin('/metrics')).text.match(/portcullis_rate_limit_insurance_total (\d+)/)?.[1] ?? 0);

  beforeAll(async () => {
    const target = new URL(REDIS_URL as string);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    upstream = await startRecordingUpstream();
    t = await startTestGateway(
      {
        redis: { url: 'redis://127.0.0.1:6379', keyPrefix, instances: 2, commandTimeout: `${COMMAND_TIMEOUT_MS}ms` },
        services: [{ name: 'api', upstream: upstream.url, rateLimit: { requests: 4, per: '1h' }, routes: [{ match: 'GET /things', scopes: ['things:read'] }] }],
      },
      { PORTCULLIS_REDIS_URL: `redis://127.0.0.1:${proxy.port}` },
    );
    token = readFileSync(`${t.dataDir}/admin.token`, 'utf8').trim();
  });
  afterAll(async () => {
    await t?.stop();
    await upstream?.close();
    await proxy?.close();
    const redis = await connectRedis(REDIS_URL as string, keyPrefix, captureLogs().logger);
    await clearPrefix(redis, keyPrefix);
    await redis.close();
  });

  for (const outage of ['cut', 'blackholed'] as const) {
    it(`${outage}: limits fall back to the insurance share, signed requests are refused (a replay never passes), both recover`, async () => {
      const c = await newClient(`redis-${outage}-co`);
      const unsigned = await newClient(`redis-${outage}-unsigned-co`); // a budget of its own
      const first = c.signed();
      expect((await c.send(first)).status).toBe(200); // counted and remembered in Redis
      if (outage === 'cut') await proxy.down();
      else proxy.blackhole();
      try {
        // A replay of the request Redis saw, and a fresh signed request: both refused, within the bound.
        for (const signed of [first, c.signed()]) {
          const began = performance.now();
          const reply = await c.send(signed);
          expectProblem(reply, 503, 'unavailable');
          expect(reply.headers['retry-after']).toBe('5');
          expect(performance.now() - began).toBeLessThan(COMMAND_TIMEOUT_MS + 1_500);
        }
        // Unsigned traffic: 4 per hour across 2 instances is 2 here, never unlimited.
        const before = await insured();
        const statuses = [];
        for (let i = 0; i < 4; i++) statuses.push((await unsigned.call()).status);
        expect(statuses).toEqual([200, 200, 429, 429]);
        expect(await insured()).toBeGreaterThan(before);
        expect((await t.call('/readyz')).json()).toEqual({ status: 'ok', redis: 'down' });
      } finally {
        if (outage === 'cut') await proxy.up();
        else proxy.restore();
      }
      // Back: counted in Redis again (the full budget of a new consumer), nonces checked again.
      await expect.poll(async () => (await t.call('/readyz')).json(), { timeout: 15_000, interval: 200 }).toEqual({ status: 'ok', redis: 'up' });
      const after = await newClient(`redis-${outage}-after-co`);
      const signed = after.signed();
      expect((await after.send(signed)).status).toBe(200);
      expectProblem(await after.send(signed), 401, 'invalid-signature'); // the replay
      const before = await insured();
      for (let i = 0; i < 2; i++) expect((await after.call()).status).toBe(200); // 4 = the signed one, its replay and these two
      expectProblem(await after.call(), 429, 'rate-limited');
      expect(await insured()).toBe(before);
    });
  }
});
