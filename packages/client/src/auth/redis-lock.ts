import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Lock } from './lock.js';

/** The two commands the lock needs, as ioredis and node-redis (v4+ with `.sendCommand` adapters) offer them. */
export interface RedisLockClient {
  set(key: string, value: string, px: 'PX', ttl: number, nx: 'NX'): Promise<string | null>;
  eval(script: string, keys: number, ...args: string[]): Promise<unknown>;
}

export interface RedisLockOptions {
  /** Prefix of the lock keys. Default `portcullis:client:lock:`. */
  prefix?: string;
  /** How long a lock outlives a crashed holder, ms. Default 30 000. */
  ttlMs?: number;
  /** How long to wait for the lock before failing, ms. Default 30 000. */
  waitMs?: number;
}

// Release only our own lock: a holder whose TTL ran out must not delete its successor's.
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/**
 * A lock across processes on one Redis (SET NX PX with a random owner, released by compare-and-delete).
 *
 * @example
 * import Redis from 'ioredis';
 * auth.refreshToken({ ..., lock: redisLock(new Redis(process.env.REDIS_URL)) })
 */
export function redisLock(client: RedisLockClient, options: RedisLockOptions = {}): Lock {
  const prefix = options.prefix ?? 'portcullis:client:lock:';
  const ttlMs = options.ttlMs ?? 30_000;
  const waitMs = options.waitMs ?? 30_000;
  return {
    async withLock(key, fn) {
      const name = prefix + key;
      const owner = randomUUID();
      const giveUp = Date.now() + waitMs;
      for (let pause = 10; ; pause = Math.min(pause * 2, 250)) {
        if ((await client.set(name, owner, 'PX', ttlMs, 'NX')) === 'OK') break;
        if (Date.now() > giveUp) throw new Error(`The lock ${name} stayed taken for ${waitMs} ms.`);
        await delay(pause);
      }
      try {
        return await fn();
      } finally {
        await client.eval(RELEASE, 1, name, owner);
      }
    },
  };
}
