import { describe, expect, it } from 'vitest';
import { formatRateLimit, formatRateLimitPolicy, parseRateLimit, parseRateLimitPolicy } from '../src/index.js';

describe('RateLimit-Policy and RateLimit (draft-ietf-httpapi-ratelimit-headers, structured fields)', () => {
  it('formats a named policy with quota and window, and its state with remaining and reset', () => {
    expect(formatRateLimitPolicy({ name: 'consumer', quota: 100, windowSeconds: 60 })).toBe('"consumer";q=100;w=60');
    expect(formatRateLimit({ name: 'consumer', remaining: 42, resetSeconds: 17 })).toBe('"consumer";r=42;t=17');
  });

  it('never sends a negative remaining count or reset', () => {
    expect(formatRateLimit({ name: 'ip', remaining: -3, resetSeconds: -1 })).toBe('"ip";r=0;t=0');
  });

  it('parses what it formats and refuses malformed values', () => {
    expect(parseRateLimit('"consumer";r=42;t=17')).toEqual({ name: 'consumer', remaining: 42, resetSeconds: 17 });
    expect(parseRateLimit('consumer;r=1;t=2')).toBeUndefined();
    expect(parseRateLimit('"x";r=1')).toBeUndefined();
    expect(parseRateLimit('(((')).toBeUndefined();
    expect(parseRateLimit(undefined)).toBeUndefined();
  });

  it('parses the policy it formats, and refuses a policy without a quota', () => {
    expect(parseRateLimitPolicy(formatRateLimitPolicy({ name: 'consumer', quota: 100, windowSeconds: 60 }))).toEqual({
      name: 'consumer',
      quota: 100,
      windowSeconds: 60,
    });
    expect(parseRateLimitPolicy('"consumer";w=60')).toBeUndefined();
    expect(parseRateLimitPolicy('(((')).toBeUndefined();
  });
});
