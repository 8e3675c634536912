/**
 * IETF `RateLimit-Policy` and `RateLimit` fields (draft-ietf-httpapi-ratelimit-headers), structured-field
 * form: a list of named policies, `"name";q=<quota>;w=<window s>`, and the state of each,
 * `"name";r=<remaining>;t=<seconds to reset>`.
 */
import { parseList, serializeList } from 'structured-headers';

export interface RateLimitPolicy {
  readonly name: string;
  readonly quota: number;
  readonly windowSeconds: number;
}

export interface RateLimitState {
  readonly name: string;
  readonly remaining: number;
  readonly resetSeconds: number;
}

export function formatRateLimitPolicy(policy: RateLimitPolicy): string {
  return serializeList([[policy.name, new Map([['q', policy.quota], ['w', policy.windowSeconds]])]]);
}

export function formatRateLimit(state: RateLimitState): string {
  return serializeList([[state.name, new Map([['r', Math.max(0, state.remaining)], ['t', Math.max(0, state.resetSeconds)]])]]);
}

/** The first policy's state in a `RateLimit` value, or undefined when it is absent or malformed. */
export function parseRateLimit(value: string | undefined): RateLimitState | undefined {
  if (!value) return undefined;
  try {
    const [first] = parseList(value);
    if (!first || Array.isArray(first[0]) || typeof first[0] !== 'string') return undefined;
    const remaining = first[1].get('r');
    const reset = first[1].get('t');
    if (!Number.isInteger(remaining) || !Number.isInteger(reset)) return undefined;
    return { name: first[0], remaining: remaining as number, resetSeconds: reset as number };
  } catch {
    return undefined;
  }
}

/** The first policy in a `RateLimit-Policy` value, or undefined when it is absent or malformed. */
export function parseRateLimitPolicy(value: string | undefined): RateLimitPolicy | undefined {
  if (!value) return undefined;
  try {
    const [first] = parseList(value);
    if (!first || Array.isArray(first[0]) || typeof first[0] !== 'string') return undefined;
    const quota = first[1].get('q');
    const window = first[1].get('w');
    if (!Number.isInteger(quota)) return undefined;
    return { name: first[0], quota: quota as number, windowSeconds: Number.isInteger(window) ? (window as number) : 0 };
  } catch {
    return undefined;
  }
}
