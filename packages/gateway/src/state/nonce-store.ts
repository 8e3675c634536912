import { LRUCache } from 'lru-cache';
import type { RedisConnection } from './redis.js';

/** Remembers signature nonces for their validity window, so a captured request cannot be replayed. */
export interface NonceStore {
  readonly kind: 'memory' | 'redis';
  /** True the first time `nonce` is claimed within `ttlMs`; false for a replay. Throws when the store is unavailable. */
  claim(nonce: string, ttlMs: number): Promise<boolean>;
}

export class NonceStoreFull extends Error {
  readonly code = 'nonce_store_full';
}

/**
 * In-process nonces, bounded. When full of unexpired nonces it refuses new ones rather than evicting:
 * forgetting a live nonce would let its request be replayed (fail closed).
 */
export function createMemoryNonceStore(max = 1_000_000): NonceStore {
  const seen = new LRUCache<string, true>({ max, ttlAutopurge: false, ttl: 1 });
  return {
    kind: 'memory',
    async claim(nonce, ttlMs) {
      if (seen.has(nonce)) return false;
      if (seen.size >= max) {
        seen.purgeStale();
        if (seen.size >= max) throw new NonceStoreFull('too many live nonces');
      }
      seen.set(nonce, true, { ttl: ttlMs });
      return true;
    },
  };
}

/** Nonces in Redis: `SET NX PX` is atomic, so two instances never both accept one nonce. */
export function createRedisNonceStore(redis: RedisConnection): NonceStore {
  return {
    kind: 'redis',
    async claim(nonce, ttlMs) {
      const result = await redis.client.set(`${redis.keyPrefix}nonce:${nonce}`, '1', 'PX', ttlMs, 'NX');
      return result === 'OK';
    },
  };
}
