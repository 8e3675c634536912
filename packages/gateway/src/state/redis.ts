import type * as IORedis from 'ioredis';
import type { Redis } from 'ioredis';
import type { Logger } from '../observe/logger.js';

/** Loaded by the first connectRedis: a gateway without Redis never pays for ioredis at start-up. */
let ioredis: Promise<typeof IORedis> | undefined;

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
export async function connectRedis(url: string, keyPrefix: string, logger: Logger, options: { commandTimeout?: number } = {}): Promise<RedisConnection> {
  ioredis ??= import('ioredis');
  const { Redis: RedisClient } = await ioredis;
  const client = new RedisClient(url, {
    enableOfflineQueue: false,
    // A Redis that holds the connection but stops answering (hung, or a dead link): after this long with
    // commands pending and no byte back, the socket is destroyed, the pending commands fail (requests
    // fall back or are refused instead of waiting without end) and the client reconnects. A per-command
    // timeout alone would leave later replies matched to the wrong commands on that connection.
    socketTimeout: options.commandTimeout ?? 1_000,
    // A command on a connection that dies fails at once: with retries it waits for a reconnect that a
    // hung Redis never completes (found by the Redis-down drill).
    maxRetriesPerRequest: 0,
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
