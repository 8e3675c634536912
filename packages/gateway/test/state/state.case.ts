import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NonceStore } from '../../src/state/nonce-store.js';
import type { RateLimitStore } from '../../src/state/rate-limit-store.js';

/**
 * The contract every rate-limit and nonce store meets, run against the in-memory and the Redis
 * implementations alike (as test/store/database.case.ts does for the databases).
 */
export function describeStateStores(
  name: string,
  open: () => { rateLimits: RateLimitStore; nonces: NonceStore; close?: () => Promise<void> },
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(options.skip ?? false)(`state contract: ${name}`, () => {
    const fresh = () => `t-${randomUUID()}`;

    it('admits exactly `points` requests per key in a window, then refuses with the time to reset', async () => {
      const { rateLimits } = open();
      const limiter = rateLimits.limiter({ name: fresh(), points: 3, durationMs: 60_000 });
      const decisions = [];
      for (let i = 0; i < 4; i++) decisions.push(await limiter.consume('consumer-a'));
      expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([[true, 2], [true, 1], [true, 0], [false, 0]]);
      const refused = decisions[3]!;
      expect(refused.resetMs).toBeGreaterThan(55_000);
      expect(refused.resetMs).toBeLessThanOrEqual(60_000);
    });

    it('keeps keys and limits apart', async () => {
      const { rateLimits } = open();
      const name = fresh();
      const one = rateLimits.limiter({ name, points: 1, durationMs: 60_000 });
      const other = rateLimits.limiter({ name: fresh(), points: 1, durationMs: 60_000 });
      expect((await one.consume('a')).allowed).toBe(true);
      expect((await one.consume('b')).allowed).toBe(true);
      expect((await other.consume('a')).allowed).toBe(true);
      expect((await one.consume('a')).allowed).toBe(false);
    });

    it('blocks a key for blockMs once it goes over, and peeks without consuming', async () => {
      const { rateLimits } = open();
      const limiter = rateLimits.limiter({ name: fresh(), points: 2, durationMs: 1_000, blockMs: 120_000 });
      expect(await limiter.peek('ip')).toBeUndefined();
      await limiter.consume('ip');
      expect(await limiter.peek('ip')).toMatchObject({ allowed: true, consumed: 1 });
      await limiter.consume('ip');
      const over = await limiter.consume('ip');
      expect(over.allowed).toBe(false);
      expect(over.resetMs).toBeGreaterThan(100_000); // the block, not the 1 s window
      expect((await limiter.peek('ip'))?.allowed).toBe(false);
    });

    it('accepts a nonce once within its window', async () => {
      const { nonces } = open();
      const nonce = fresh();
      expect(await nonces.claim(nonce, 60_000)).toBe(true);
      expect(await nonces.claim(nonce, 60_000)).toBe(false);
      expect(await nonces.claim(fresh(), 60_000)).toBe(true);
    });

    it('forgets a nonce after its window', async () => {
      const { nonces } = open();
      const nonce = fresh();
      expect(await nonces.claim(nonce, 30)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 80));
      expect(await nonces.claim(nonce, 30)).toBe(true);
    });
  });
}
