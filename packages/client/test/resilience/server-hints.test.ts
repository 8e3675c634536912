import { describe, expect, it } from 'vitest';
import { parseRateLimit, retryAfterMs } from '../../src/resilience/server-hints.js';

describe('what a response says about when to try again', () => {
  it('reads the structured RateLimit field and the quota from RateLimit-Policy', () => {
    expect(parseRateLimit({ ratelimit: '"default";r=3;t=30', 'ratelimit-policy': '"default";q=100;w=60' })).toEqual({
      remaining: 3,
      resetSeconds: 30,
      limit: 100,
    });
  });

  it('reads the older comma form and the separate RateLimit-* fields', () => {
    expect(parseRateLimit({ ratelimit: 'limit=10, remaining=0, reset=7' })).toEqual({ remaining: 0, resetSeconds: 7, limit: 10 });
    expect(parseRateLimit({ 'ratelimit-remaining': '4', 'ratelimit-reset': '9', 'ratelimit-limit': '5' })).toEqual({
      remaining: 4,
      resetSeconds: 9,
      limit: 5,
    });
  });

  it('is lenient with an unquoted policy name', () => {
    expect(parseRateLimit({ ratelimit: 'default;r=0;t=5' })).toEqual({ remaining: 0, resetSeconds: 5 });
  });

  it('ignores a field that says nothing usable', () => {
    expect(parseRateLimit({ ratelimit: '"default";r=-1' })).toBeUndefined();
    expect(parseRateLimit({})).toBeUndefined();
  });

  it('reads Retry-After as seconds or as an HTTP date, and nothing else', () => {
    const now = Date.parse('2026-11-30T06:00:00Z');
    expect(retryAfterMs({ 'retry-after': '12' }, now)).toBe(12_000);
    expect(retryAfterMs({ 'retry-after': 'Mon, 30 Nov 2026 06:00:05 GMT' }, now)).toBe(5_000);
    expect(retryAfterMs({ 'retry-after': 'soon' }, now)).toBeUndefined();
  });
});
