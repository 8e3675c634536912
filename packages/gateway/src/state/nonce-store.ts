import { createHmac, randomBytes } from 'node:crypto';
import { toKeyObject } from '../crypto/wrap.js';
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
 *
 * A nonce is held as 53 bits of an HMAC under a key of this process, not as its string: the string
 * (a concatenation of the key id and a slice of the request's Signature-Input header, which keeps the
 * whole header alive) cost about 230 bytes of heap a nonce, 150 MB at 2,000 signed requests a second
 * over one 330 s window; the number costs about 54 (35 MB). The same nonce always maps to the same
 * number, so a replay is always caught; two different nonces colliding (about 1 in 10^5 per window at a million
 * live nonces) would only refuse one honest request, and with a secret key nobody can aim for it.
 */
export function createMemoryNonceStore(max = 1_000_000): NonceStore {
  const seen = new Map<number, number>(); // nonce digest -> expiry (ms, integer)
  // A KeyObject, not a Buffer: on Node 24 (OpenSSL 3.5) an HMAC keyed with a Buffer cost 10 µs a claim, with a KeyObject 2.
  const key = toKeyObject(randomBytes(32));
  function digest(nonce: string): number {
    const mac = createHmac('sha256', key).update(nonce).digest();
    return mac.readUInt32BE(0) * 2 ** 21 + (mac.readUInt32BE(4) >>> 11);
  }
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
      const id = digest(nonce);
      const expires = seen.get(id);
      if (expires !== undefined && expires > now) return false;
      if (seen.size >= max) {
        purgeExpired(now);
        if (seen.size >= max) throw new NonceStoreFull('too many live nonces');
      }
      seen.delete(id); // an expired copy: the new claim goes to the young end
      seen.set(id, Math.ceil(now + ttlMs));
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
