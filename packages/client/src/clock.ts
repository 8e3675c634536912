import { setTimeout as delay } from 'node:timers/promises';

/**
 * Time as the client sees it. Tests pass a fake whose `sleep` moves `now` forward, so backoff, pauses
 * and token expiry are exercised without waiting.
 */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => (ms <= 0 ? Promise.resolve() : delay(ms, undefined, signal ? { signal } : undefined)),
};
