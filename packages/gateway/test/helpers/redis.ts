import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { RedisConnection } from '../../src/state/redis.js';

export const REDIS_URL = process.env.PORTCULLIS_TEST_REDIS_URL;
if (!REDIS_URL) console.warn('Redis suites skipped: PORTCULLIS_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379).');

/** Deletes every key a test wrote under its own prefix (the shared Redis is used by others too). */
export async function clearPrefix(redis: RedisConnection, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

/** A private redis-server a test may stop (never the shared one on 6379); `port` to restart one. */
export async function startPrivateRedis(port?: number): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  port ??= await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(true)); // the port is taken: redis is listening
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)));
    });
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}
