import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auth, redisLock } from '../../src/index.js';
import type { Lock } from '../../src/index.js';
import { clientFor } from '../helpers/client.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { captureLogs } from '../helpers/log-capture.js';
import { json, startTestServer } from '../helpers/tls-server.js';
import type { TestServer } from '../helpers/tls-server.js';

/**
 * A token endpoint with rotating refresh tokens and reuse detection (RFC 9700 §4.14.2): each refresh
 * token works once; presenting a spent one revokes the family. The API accepts the access tokens.
 */
let server: TestServer;
let live: Set<string>;
let spent: Set<string>;
let reused: number;
let accessTokens: Set<string>;
const INITIAL = 'rt-initial-planted-0123456789';

beforeAll(async () => {
  server = await startTestServer((req, res, body) => {
    if (req.url === '/token') {
      const presented = new URLSearchParams(body).get('refresh_token') ?? '';
      if (!live.has(presented)) {
        if (spent.has(presented)) {
          reused++;
          live.clear();
        }
        return json(400, { error: 'invalid_grant' })(req, res, '');
      }
      live.delete(presented);
      spent.add(presented);
      const next = `rt-${randomBytes(8).toString('hex')}`;
      const access = `at-${randomBytes(8).toString('hex')}`;
      live.add(next);
      accessTokens.add(access);
      return json(200, { access_token: access, token_type: 'Bearer', expires_in: 3600, refresh_token: next })(req, res, '');
    }
    const token = req.headers.authorization?.replace('Bearer ', '') ?? '';
    json(accessTokens.has(token) ? 200 : 401, {})(req, res, '');
  });
});
afterAll(() => server.close());
beforeEach(() => {
  live = new Set([INITIAL]);
  spent = new Set();
  reused = 0;
  accessTokens = new Set();
  server.seen.length = 0;
});

/** A shared "disk": what every process loads from and saves to. */
function sharedStore() {
  const store = { value: INITIAL, saves: [] as { token: string; apiCallsSoFar: number }[] };
  return {
    store,
    load: async () => store.value,
    save: async (token: string) => {
      store.saves.push({ token, apiCallsSoFar: server.seen.filter((s) => s.url !== '/token').length });
      store.value = token;
    },
  };
}

function refreshClient(shared: ReturnType<typeof sharedStore>, extra: { lock?: Lock; clock?: FakeClock; logger?: ReturnType<typeof captureLogs>['logger'] } = {}) {
  return clientFor(server, {
    ...(extra.clock ? { clock: extra.clock } : {}),
    ...(extra.logger ? { logger: extra.logger } : {}),
    auth: auth.refreshToken({
      tokenUrl: `${server.url}/token`,
      clientId: 'cli',
      clientSecret: 'cli-secret-planted-abcdef',
      refreshToken: INITIAL,
      load: shared.load,
      save: shared.save,
      ...(extra.lock ? { lock: extra.lock } : {}),
    }),
  });
}

describe('rotating refresh tokens', () => {
  it('saves the rotated refresh token before the new access token is used, and rotates on every refresh', async () => {
    const shared = sharedStore();
    const clock = new FakeClock();
    const logs = captureLogs();
    const { client } = refreshClient(shared, { clock, logger: logs.logger });
    await client.get('/me');
    expect(shared.store.saves).toHaveLength(1);
    expect(shared.store.saves[0]!.apiCallsSoFar).toBe(0);
    clock.advance(56 * 60_000);
    await client.get('/me');
    expect(shared.store.saves).toHaveLength(2);
    expect(shared.store.saves[1]!.apiCallsSoFar).toBe(1);
    expect(reused).toBe(0);
    for (const token of [INITIAL, ...shared.store.saves.map((s) => s.token)]) expect(logs.text()).not.toContain(token);
    await client.close();
  });

  it('a failing save means the new access token is not used', async () => {
    const shared = sharedStore();
    shared.save = async () => {
      throw new Error('disk full');
    };
    const { client } = refreshClient(shared);
    await expect(client.get('/me')).rejects.toMatchObject({ name: 'AuthError' });
    expect(server.seen.filter((s) => s.url !== '/token')).toHaveLength(0);
    await client.close();
  });

  it('two clients in one process sharing a refresh token never spend it twice (in-process lock by default)', async () => {
    const shared = sharedStore();
    const a = refreshClient(shared).client;
    const b = refreshClient(shared).client;
    await Promise.all([a.get('/me'), b.get('/me'), a.get('/me'), b.get('/me')]);
    expect(reused).toBe(0);
    expect(shared.store.saves).toHaveLength(2);
    await Promise.all([a.close(), b.close()]);
  });

  it('without exclusion the same race spends a token twice (what the lock prevents)', async () => {
    const shared = sharedStore();
    const none: Lock = { withLock: (_key, fn) => fn() };
    const a = refreshClient(shared, { lock: none }).client;
    const b = refreshClient(shared, { lock: none }).client;
    await Promise.allSettled([a.get('/me'), b.get('/me')]);
    expect(reused).toBe(1);
    await Promise.all([a.close(), b.close()]);
  });
});

const redisUrl = process.env.PORTCULLIS_TEST_REDIS_URL;
if (!redisUrl) console.warn('Redis lock tests skipped: PORTCULLIS_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379).');

describe.skipIf(!redisUrl)('redisLock', () => {
  const connections: Redis[] = [];
  const prefix = `portcullis:test:${randomBytes(6).toString('hex')}:`;
  const connect = (): Redis => {
    const redis = new Redis(redisUrl ?? '');
    connections.push(redis);
    return redis;
  };
  afterAll(async () => {
    const redis = connect();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await Promise.all(connections.map((c) => c.quit()));
  });

  it('serialises two "processes" (separate connections and locks) on one refresh token', async () => {
    const shared = sharedStore();
    const a = refreshClient(shared, { lock: redisLock(connect(), { prefix }) }).client;
    const b = refreshClient(shared, { lock: redisLock(connect(), { prefix }) }).client;
    await Promise.all([a.get('/me'), b.get('/me')]);
    expect(reused).toBe(0);
    expect(shared.store.saves).toHaveLength(2);
    await Promise.all([a.close(), b.close()]);
  });

  it('holds the lock while the exchange runs and releases only its own', async () => {
    const lockA = redisLock(connect(), { prefix, ttlMs: 5_000 });
    const lockB = redisLock(connect(), { prefix, ttlMs: 5_000 });
    const order: string[] = [];
    let release!: () => void;
    const first = lockA.withLock('k', async () => {
      order.push('a:start');
      await new Promise<void>((resolve) => (release = resolve));
      order.push('a:end');
    });
    while (order.length === 0) await new Promise((r) => setTimeout(r, 5));
    const second = lockB.withLock('k', async () => {
      order.push('b');
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(order).toEqual(['a:start']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['a:start', 'a:end', 'b']);
  });
});
