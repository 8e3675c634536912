import { describe, expect, it } from 'vitest';
import { createMemoryNonceStore, NonceStoreFull } from '../../src/state/nonce-store.js';
import { createMemoryRateLimitStore } from '../../src/state/rate-limit-store.js';
import { describeStateStores } from './state.case.js';

describeStateStores('memory', () => ({ rateLimits: createMemoryRateLimitStore(), nonces: createMemoryNonceStore() }));

describe('memory nonce store bound', () => {
  it('refuses a new nonce rather than forget a live one when full (a forgotten nonce could be replayed)', async () => {
    const nonces = createMemoryNonceStore(2);
    expect(await nonces.claim('a', 60_000)).toBe(true);
    expect(await nonces.claim('b', 60_000)).toBe(true);
    await expect(nonces.claim('c', 60_000)).rejects.toBeInstanceOf(NonceStoreFull);
    expect(await nonces.claim('a', 60_000)).toBe(false);
  });

  it('makes room once old nonces have expired', async () => {
    const nonces = createMemoryNonceStore(1);
    expect(await nonces.claim('a', 20)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await nonces.claim('b', 60_000)).toBe(true);
  });

  // Counted, not 200,000 expect() calls; and a minute's timeout, for a busy CI machine: before the
  // store's HMAC key became a KeyObject, a claim cost about 26 µs on Node 24 there and the test ran
  // past 20 s (now about 3 µs on either version, docs/performance.md).
  it('tells 100,000 distinct nonces apart and catches each one replayed (nonces are held as digests)', { timeout: 60_000 }, async () => {
    const nonces = createMemoryNonceStore();
    const all = Array.from({ length: 100_000 }, (_, i) => `sig_key:${i.toString(36)}`);
    let accepted = 0;
    for (const nonce of all) if (await nonces.claim(nonce, 60_000)) accepted++;
    let replaysCaught = 0;
    for (const nonce of all) if (!(await nonces.claim(nonce, 60_000))) replaysCaught++;
    expect(accepted).toBe(all.length);
    expect(replaysCaught).toBe(all.length);
    expect(await nonces.claim('sig_other:0', 60_000)).toBe(true);
  });
});
