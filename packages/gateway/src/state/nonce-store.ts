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
 * forgetting a live nonce would let its request be replayed (fail closed). A Map in insertion order,
 * not a preallocated LRU: an LRU of a million entries took a fifth of the gateway's start-up
 * (docs/performance.md). Each claim drops up to two expired nonces from the oldest end, so with the
 * usual single signature window the map holds about the live nonces only.
 */
export function createMemoryNonceStore(max = 1_000_000): NonceStore {
  const seen = new Map<string, number>(); // nonce -> expiry (ms)
  function dropOldExpired(now: number, limit: number): void {
    for (const [nonce, expires] of seen) {
      if (limit-- <= 0 || expires > now) return;
      seen.delete(nonce);
    }
  }
  function purgeExpired(now: number): void {
    for (const [nonce, expires] of seen) if (expires <= now) seen.delete(nonce);
  }
  return {
    kind: 'memory',
    async claim(nonce, ttlMs) {
      const now = performance.now();
      dropOldExpired(now, 2);
      const expires = seen.get(nonce);
      if (expires !== undefined && expires > now) return false;
      if (seen.size >= max) {
        purgeExpired(now);
        if (seen.size >= max) throw new NonceStoreFull('too many live nonces');
      }
      seen.delete(nonce); // an expired copy: the new claim goes to the young end
      seen.set(nonce, now + ttlMs);
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
