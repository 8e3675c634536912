export interface RetryOptions {
  /** Retries after the first attempt; 0 means none at all, also after a reset connection. Default 3. */
  retries?: number;
  /** First backoff step in ms. Default 100. */
  baseMs?: number;
  /** Largest backoff step in ms. Default 20 000. */
  capMs?: number;
  /** Statuses retried. Default 429, 502, 503, 504. */
  statuses?: readonly number[];
  /**
   * Retries each host may spend: a bucket of `budget` tokens, one per retry, refilled by `refill`
   * per success. When it is empty, failures are returned at once. Default 20 and 0.2.
   */
  budget?: number;
  refill?: number;
}

export const RETRY_DEFAULTS = { retries: 3, baseMs: 100, capMs: 20_000, statuses: [429, 502, 503, 504], budget: 20, refill: 0.2 } as const;

export type ResolvedRetry = Required<RetryOptions>;

export function resolveRetry(options: RetryOptions | false | undefined): ResolvedRetry {
  const merged = { ...RETRY_DEFAULTS, ...(options === false ? { retries: 0 } : options) };
  for (const key of ['retries', 'baseMs', 'capMs', 'budget', 'refill'] as const) {
    if (!Number.isFinite(merged[key]) || merged[key] < 0) {
      throw new TypeError(`retry.${key} must be a number >= 0, e.g. retry: { ${key}: ${RETRY_DEFAULTS[key]} }.`);
    }
  }
  return merged;
}

/** "Full jitter" (AWS Architecture Blog, "Exponential Backoff And Jitter"): uniform in [0, min(cap, base * 2^n)). */
export function fullJitter(attempt: number, options: Pick<ResolvedRetry, 'baseMs' | 'capMs'>, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(options.capMs, options.baseMs * 2 ** attempt));
}

/** Methods a server must treat as idempotent (RFC 9110 §9.2.2): retried without an Idempotency-Key. */
export const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
