import { Redis } from 'ioredis';
import type { Logger } from '../observe/logger.js';

export interface RedisConnection {
  readonly client: Redis;
  /** Prefix of every key we write, so several deployments (or tests) can share one Redis. */
  readonly keyPrefix: string;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * One ioredis client for rate limits and nonces. It reconnects by itself (backoff capped at 2 s); while
 * it is down, commands fail at once instead of queueing (`enableOfflineQueue: false`), so a request
 * falls back to the insurance limiter, or is refused, without waiting.
 */
export async function connectRedis(url: string, keyPrefix: string, logger: Logger): Promise<RedisConnection> {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    lazyConnect: true,
  });
  let down = false;
  client.on('error', (error: Error) => {
    if (!down) logger.error({ err: { message: error.message } }, 'redis unavailable: rate limits use the insurance limiter, signed requests are refused');
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.warn('redis reconnected');
    down = false;
  });
  // Not reachable at start: the gateway still starts (insurance limits), and ioredis keeps retrying.
  await client.connect().catch(() => undefined);
  return {
    client,
    keyPrefix,
    async ping() {
      try {
        return (await client.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    async close() {
      client.disconnect();
    },
  };
}
