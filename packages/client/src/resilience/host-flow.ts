import type { Clock } from '../clock.js';
import type { ResolvedRetry } from './backoff.js';
import type { RateLimitState } from './server-hints.js';

/**
 * Flow control for one host: a pause that every call to the host waits out (set by a 429 or a spent
 * RateLimit quota), a throttle that spaces calls when the quota runs low, and the retry budget.
 */
export class HostFlow {
  private pausedUntil = 0;
  private nextSlot = 0;
  private intervalMs = 0;
  private tokens: number;

  constructor(
    private readonly clock: Clock,
    private readonly retry: Pick<ResolvedRetry, 'budget' | 'refill'>,
    private readonly throttle: boolean,
  ) {
    this.tokens = retry.budget;
  }

  /**
   * Reserves the next start time for a call, epoch ms: after any pause, and one throttle interval
   * after the previous reservation, so that concurrent calls queue behind each other.
   */
  reserve(): number {
    const start = Math.max(this.pausedUntil, this.nextSlot, this.clock.now());
    this.nextSlot = start + this.intervalMs;
    return start;
  }

  pause(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }

  /** Applies the server's RateLimit: pause when spent, spread what is left when low (under 10%, or 10 requests). */
  observe(state: RateLimitState): number | undefined {
    const windowMs = state.resetSeconds * 1000;
    if (state.remaining <= 0) {
      const until = this.clock.now() + windowMs;
      this.pause(until);
      return until;
    }
    const low = state.limit !== undefined ? state.remaining < state.limit / 10 : state.remaining <= 10;
    this.intervalMs = this.throttle && low ? Math.floor(windowMs / state.remaining) : 0;
    return undefined;
  }

  spendRetry(): boolean {
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  succeeded(): void {
    this.tokens = Math.min(this.retry.budget, this.tokens + this.retry.refill);
  }
}
