import { parseRateLimit as parseStructuredRateLimit, parseRateLimitPolicy } from '@portcullis/protocol';

/**
 * What a response says about when to try again: `Retry-After` (RFC 9110 §10.2.3, seconds or an
 * HTTP-date) and the IETF RateLimit header (draft-ietf-httpapi-ratelimit-headers), in both its
 * structured form `"default";r=0;t=30` and the older `limit=100, remaining=0, reset=30`.
 */
export interface RateLimitState {
  /** Requests left in the current window. */
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
  /** The window's quota, when the server says (`RateLimit-Policy: ...;q=100` or `limit=100`). */
  limit?: number;
}

/** Milliseconds to wait as the server asked in Retry-After, or undefined when it did not (or made no sense). */
export function retryAfterMs(headers: Readonly<Record<string, string>>, now: number): number | undefined {
  const value = headers['retry-after']?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function parseRateLimit(headers: Readonly<Record<string, string>>): RateLimitState | undefined {
  const header = headers.ratelimit;
  // The structured form is the protocol package's; the older `limit=, remaining=, reset=` forms are read here.
  const structured = parseStructuredRateLimit(header);
  const remaining = structured?.remaining ?? numberParam(header, ['r', 'remaining']) ?? integer(headers['ratelimit-remaining']);
  const resetSeconds = structured?.resetSeconds ?? numberParam(header, ['t', 'reset']) ?? integer(headers['ratelimit-reset']);
  if (remaining === undefined || resetSeconds === undefined) return undefined;
  const limit = parseRateLimitPolicy(headers['ratelimit-policy'])?.quota ?? numberParam(header, ['limit']) ?? integer(headers['ratelimit-limit']);
  return { remaining, resetSeconds, ...(limit === undefined ? {} : { limit }) };
}

function numberParam(header: string | undefined, names: readonly string[]): number | undefined {
  if (!header) return undefined;
  for (const name of names) {
    const match = new RegExp(`(?:^|[;,\\s])${name}=(\\d+)`).exec(header);
    if (match) return Number(match[1]);
  }
  return undefined;
}

function integer(value: string | undefined): number | undefined {
  return value !== undefined && /^\s*\d+\s*$/.test(value) ? Number(value) : undefined;
}
