import { createHook } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { boundedCache } from '../../src/lib/bounded-cache.js';

describe('boundedCache', () => {
  it('holds at most max entries, dropping the least recently used first', () => {
    const cache = boundedCache<string, number>({ max: 3 });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect(cache.get('a')).toBe(1); // a is now the most recently used
    cache.set('d', 4);
    expect(cache.size).toBe(3);
    expect(cache.has('b')).toBe(false);
    expect([...cache.keys()].sort()).toEqual(['a', 'c', 'd']);
  });

  it('stays at its bound under a flood of distinct keys', () => {
    const cache = boundedCache<string, true>({ max: 1_000 });
    for (let i = 0; i < 50_000; i++) cache.set(`attacker-${i}`, true);
    expect(cache.size).toBe(1_000);
    expect(cache.has('attacker-49999')).toBe(true);
    expect(cache.has('attacker-0')).toBe(false);
  });

  it('forgets an entry once its ttl has passed', async () => {
    const cache = boundedCache<string, number>({ max: 10, ttl: 20 });
    cache.set('k', 1);
    expect(cache.get('k')).toBe(1);
    await new Promise((done) => setTimeout(done, 40));
    expect(cache.get('k')).toBeUndefined();
  });

  it('schedules no timer to read entries with a ttl, and still sees them expire at once', async () => {
    // Timers made while the hook is on, unref'd ones included (the active-resources list leaves those out).
    let timersMade = 0;
    const hook = createHook({ init: (_id, type) => void (type === 'Timeout' && timersMade++) });
    const cache = boundedCache<string, number>({ max: 10, ttl: 30 });
    cache.set('k', 1);
    // A read in a later millisecond: lru-cache's default schedules a timer to forget its clock reading.
    await new Promise((done) => setTimeout(done, 5));
    hook.enable();
    try {
      for (let i = 0; i < 5; i++) expect(cache.get('k')).toBe(1);
    } finally {
      hook.disable();
    }
    expect(timersMade).toBe(0);
    await new Promise((done) => setTimeout(done, 45));
    expect(cache.get('k')).toBeUndefined();
  });

  it('allocates nothing up front: a 100,000-entry cache costs almost nothing to create', () => {
    // lru-cache given `max` preallocates its arrays (several ms and about 4 MB for 100,000 entries).
    const before = process.memoryUsage().heapUsed;
    const caches = Array.from({ length: 20 }, () => boundedCache<string, number>({ max: 100_000, ttl: 60_000 }));
    const grown = process.memoryUsage().heapUsed - before;
    expect(caches).toHaveLength(20);
    expect(grown).toBeLessThan(2_000_000);
  });
});
