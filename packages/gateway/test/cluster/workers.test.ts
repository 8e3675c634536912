import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { connectRedis } from '../../src/state/redis.js';
import { withDefaultUser } from '../../src/store/postgres.js';
import { spawnCli } from '../helpers/cli.js';
import type { Running } from '../helpers/cli.js';
import { captureLogs } from '../helpers/log-capture.js';
import { clearPrefix, REDIS_URL } from '../helpers/redis.js';
import { startRecordingUpstream } from '../helpers/upstream.js';

const DATABASE_URL = process.env.PORTCULLIS_TEST_DATABASE_URL;
if (!DATABASE_URL || !REDIS_URL) console.log('[skipped] workers (node:cluster) tests: set PORTCULLIS_TEST_DATABASE_URL and PORTCULLIS_TEST_REDIS_URL');

describe('workers: the configuration refuses state one process would own', () => {
  const dir = '/tmp';
  it('refuses workers > 1 on the embedded store, naming the key and the fix', () => {
    expect(() => validateConfig({ workers: 2, redis: { url: 'redis://127.0.0.1:6379' } }, 'test.yaml', dir, {})).toThrow(
      /workers: 2 needs the PostgreSQL store: the embedded store belongs to one process\. Set database\.url \(or PORTCULLIS_DATABASE_URL\), or set workers: 1/,
    );
  });
  it('refuses workers > 1 without Redis (limits and nonces would be per worker)', () => {
    expect(() => validateConfig({ workers: 'auto' }, 'test.yaml', dir, { PORTCULLIS_DATABASE_URL: 'postgres://127.0.0.1/x' })).toThrow(
      /workers: auto needs Redis .* Set redis\.url \(or PORTCULLIS_REDIS_URL\), or set workers: 1/,
    );
  });
  it('accepts workers with PostgreSQL and Redis, and defaults to one process', () => {
    const env = { PORTCULLIS_DATABASE_URL: 'postgres://127.0.0.1/x', PORTCULLIS_REDIS_URL: 'redis://127.0.0.1:6379' };
    expect(validateConfig({ workers: 3 }, 'test.yaml', dir, env).workers).toBe(3);
    expect(validateConfig({}, 'test.yaml', dir, {}).workers).toBe(1);
    expect(() => validateConfig({ workers: 0 }, 'test.yaml', dir, env)).toThrow(/workers/);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** What the workers' access-log lines say: which worker answered which status. */
function served(cli: Running, since: number): { worker: number; status: number }[] {
  return cli
    .output()
    .slice(since)
    .split('\n')
    .filter((line) => line.includes('"msg":"request"'))
    .map((line) => JSON.parse(line) as { worker: number; status: number })
    .map(({ worker, status }) => ({ worker, status }));
}

/** The access lines of `count` requests since `since`: a worker writes its line just after answering. */
async function servedLines(cli: Running, since: number, count: number) {
  const deadline = performance.now() + 5_000;
  while (served(cli, since).length < count && performance.now() < deadline) await new Promise((done) => setTimeout(done, 20));
  return served(cli, since);
}

/** `portcullis start` with workers: 2 on one port, a fresh PostgreSQL database and a Redis key prefix. */
describe.skipIf(!DATABASE_URL || !REDIS_URL)('workers: 2 (one port, node:cluster)', () => {
  const database = `pc_workers_${randomBytes(6).toString('hex')}`;
  const keyPrefix = `portcullis-test-${randomBytes(6).toString('hex')}:`;
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-workers-'));
  let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
  let cli: Running;
  let base: string;
  let adminBase: string;
  let ca: Buffer;
  let token: string;

  const serverUrl = () => new URL(withDefaultUser(DATABASE_URL as string));
  async function onServer(sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: serverUrl().toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    await onServer(`CREATE DATABASE ${database}`);
    upstream = await startRecordingUpstream();
    const [port, adminPort] = [await freePort(), await freePort()];
    const config = join(dir, 'portcullis.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        listen: { host: '127.0.0.1', port },
        admin: { host: '127.0.0.1', port: adminPort },
        dataDir: join(dir, 'data'),
        workers: 2,
        redis: { url: 'redis://127.0.0.1:6379', keyPrefix },
        log: { level: 'info', access: true },
        services: [{ name: 'api', upstream: upstream.url, rateLimit: { requests: 4, per: '1m' }, routes: [{ match: 'GET /things', scopes: ['things:read'] }] }],
      }),
    );
    const dbUrl = serverUrl();
    dbUrl.pathname = `/${database}`;
    cli = spawnCli(['start', '--config', config], {
      env: { PORTCULLIS_DATABASE_URL: dbUrl.toString(), PORTCULLIS_REDIS_URL: REDIS_URL, PORTCULLIS_MASTER_KEY: randomBytes(32).toString('base64') },
    });
    await cli.waitFor(/all workers ready/, 25_000);
    base = `https://127.0.0.1:${port}`;
    adminBase = `https://127.0.0.1:${adminPort}`;
    ca = readFileSync(join(dir, 'data', 'tls', 'ca.pem'));
    token = readFileSync(join(dir, 'data', 'admin.token'), 'utf8').trim();
  }, 40_000);

  afterAll(async () => {
    cli?.child.kill('SIGTERM');
    await cli?.exit;
    await upstream?.close();
    const redis = await connectRedis(REDIS_URL as string, keyPrefix, captureLogs().logger);
    await clearPrefix(redis, keyPrefix);
    await redis.close();
    await onServer(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  /** One request on a connection of its own: the primary hands connections to the workers in turn. */
  async function fresh(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
    const agent = new Agent({ connect: { ca }, pipelining: 0 });
    try {
      const reply = await request(url, { dispatcher: agent, method: (init.method ?? 'GET') as 'GET', headers: init.headers, body: init.body });
      const text = await reply.body.text();
      return { status: reply.statusCode, text };
    } finally {
      await agent.close();
    }
  }
  async function adminCall(path: string, body?: unknown) {
    const reply = await fresh(`${adminBase}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(reply.status, reply.text).toBeLessThan(300);
    return JSON.parse(reply.text || '{}') as Record<string, string>;
  }

  it('starts two worker processes behind one port', () => {
    const pids = new Set([...cli.output().matchAll(/"pid":(\d+),[^\n]*"msg":"worker ready"|"msg":"worker ready"[^\n]*"pid":(\d+)/g)].map((m) => m[1] ?? m[2]));
    expect(pids.size).toBe(2);
  });

  it('a key revoked through the admin API is refused by every worker', async () => {
    const consumer = await adminCall('/admin/v1/consumers', { name: 'workers-co' });
    const key = await adminCall('/admin/v1/keys', { consumerId: consumer.id, scopes: ['things:read'] });
    const call = () => fresh(`${base}/things`, { headers: { 'x-api-key': key.key as string } });
    const before = cli.output().length;
    // Accepted (and cached) by both workers first: only the change bus can stop it at the other one.
    expect([(await call()).status, (await call()).status]).toEqual([200, 200]);
    expect(new Set((await servedLines(cli, before, 2)).map((s) => s.worker))).toEqual(new Set([1, 2]));
    await adminCall(`/admin/v1/keys/${key.id}/revoke`, {});
    await new Promise((done) => setTimeout(done, 1_000)); // the bus's delivery time (docs/configuration.md)
    const after = cli.output().length;
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call()).status);
    expect(statuses).toEqual([401, 401, 401, 401]);
    expect(new Set((await servedLines(cli, after, 4)).map((s) => s.worker))).toEqual(new Set([1, 2]));
  });

  it('one rate limit across the workers: the fifth request of a 4-per-minute consumer is refused', async () => {
    const consumer = await adminCall('/admin/v1/consumers', { name: 'workers-limit-co' });
    const key = await adminCall('/admin/v1/keys', { consumerId: consumer.id, scopes: ['things:read'] });
    const since = cli.output().length;
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await fresh(`${base}/things`, { headers: { 'x-api-key': key.key as string } })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    // Each worker let through fewer than the limit alone: the budget was one, not one per worker.
    const passed = (await servedLines(cli, since, 6)).filter((s) => s.status === 200);
    expect(new Set(passed.map((s) => s.worker))).toEqual(new Set([1, 2]));
  });

  it('stops every worker on SIGTERM', async () => {
    cli.child.kill('SIGTERM');
    expect(await cli.exit).toBe(0);
    expect(cli.output()).toMatch(/"worker":1,[^\n]*"msg":"gateway stopped"/);
    expect(cli.output()).toMatch(/"worker":2,[^\n]*"msg":"gateway stopped"/);
  });
});
