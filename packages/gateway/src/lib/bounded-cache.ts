import { LRUCache } from 'lru-cache';

export interface BoundedCacheOptions {
  /** At most this many entries; the least recently used goes first. */
  readonly max: number;
  /** Entries older than this are gone (ms); none if unset. */
  readonly ttl?: number;
}

/**
 * An LRU cache bounded by entry count whose memory grows with use. lru-cache preallocates its arrays
 * when given `max`; the gateway holds a dozen caches sized for an attack (50,000-100,000 entries) that
 * stay nearly empty in normal use, and preallocating them took about 0.2 s of every start. Counting
 * each entry as size 1 against `maxSize` gives the same bound without the upfront arrays, for about
 * 20 ns more per lookup.
 *
 * With a ttl, lru-cache by default keeps its clock reading for a millisecond and schedules a timer to
 * forget it: a setTimeout each millisecond for each cache that is read, which showed in the data
 * plane's profile under load. `ttlResolution: 0` reads performance.now() at each check instead, which
 * costs less than the timer whenever a cache is read more than once a millisecond.
 */
export function boundedCache<K extends NonNullable<unknown>, V extends NonNullable<unknown>>(options: BoundedCacheOptions): LRUCache<K, V> {
  return new LRUCache<K, V>({ maxSize: options.max, sizeCalculation: () => 1, ...(options.ttl !== undefined ? { ttl: options.ttl, ttlResolution: 0 } : {}) });
}
