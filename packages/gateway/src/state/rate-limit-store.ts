import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RedisConnection } from './redis.js';

/** One limit: `points` per `durationMs`, optionally blocking the key for `blockMs` once exceeded. */
export interface LimitDefinition {
  /** Distinguishes this limit's keys from every other limit's. */
  readonly name: string;
  readonly points: number;
  readonly durationMs: number;
  readonly blockMs?: number;
}

export interface RateDecision {
  readonly allowed: boolean;
  /** Points left in the current window (0 when refused). */
  readonly remaining: number;
  /** Milliseconds until the window (or block) ends. */
  readonly resetMs: number;
  /** Points consumed in the window, this request included. */
  readonly consumed: number;
}

export interface RateLimiter {
  readonly definition: LimitDefinition;
  /** Takes `cost` points from `key`'s budget. */
  consume(key: string, cost?: number): Promise<RateDecision>;
  /** The current state without consuming, or undefined when the key has used nothing. */
  peek(key: string): Promise<RateDecision | undefined>;
}

/** Creates limiters; memory for one instance, Redis (atomic, shared by every instance) for many. */
export interface RateLimitStore {
  readonly kind: 'memory' | 'redis';
  limiter(definition: LimitDefinition): RateLimiter;
}

/** rate-limiter-flexible counts in whole seconds. */
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

function decision(res: RateLimiterRes, points: number, allowed: boolean): RateDecision {
  return { allowed, remaining: allowed ? Math.max(0, points - res.consumedPoints) : 0, resetMs: res.msBeforeNext, consumed: res.consumedPoints };
}

/** Wraps a rate-limiter-flexible limiter: a rejection with a RateLimiterRes is "over the limit", anything else an outage. */
function wrap(definition: LimitDefinition, inner: RateLimiterAbstract): RateLimiter {
  return {
    definition,
    async consume(key, cost = 1) {
      try {
        return decision(await inner.consume(key, cost), definition.points, true);
      } catch (error) {
        if (error instanceof RateLimiterRes) return decision(error, definition.points, false);
        throw error;
      }
    },
    async peek(key) {
      const res = await inner.get(key);
      if (!res) return undefined;
      return decision(res, definition.points, res.consumedPoints <= definition.points);
    },
  };
}

function options(definition: LimitDefinition, prefix: string) {
  return {
    keyPrefix: `${prefix}rl:${definition.name}`,
    points: definition.points,
    duration: seconds(definition.durationMs),
    blockDuration: definition.blockMs ? seconds(definition.blockMs) : 0,
  };
}

export function createMemoryRateLimitStore(): RateLimitStore {
  return { kind: 'memory', limiter: (definition) => wrap(definition, new RateLimiterMemory(options(definition, ''))) };
}

export interface InsuranceEvents {
  /** Redis failed for one decision; `memory` answered instead. Called on every such decision. */
  onInsurance(limit: string, error: unknown): void;
}

/**
 * Redis-backed limits (one Lua INCR+PEXPIRE per decision, atomic across instances). When Redis fails,
 * an in-process limiter answers at this instance's share of the limit (points / instances, rounded up):
 * the whole fleet then admits about what it would have, never unlimited (docs/rate-limits.md).
 */
export function createRedisRateLimitStore(redis: RedisConnection, instances: number, events: InsuranceEvents): RateLimitStore {
  return {
    kind: 'redis',
    limiter(definition) {
      const primary = wrap(definition, new RateLimiterRedis({ ...options(definition, redis.keyPrefix), storeClient: redis.client, rejectIfRedisNotReady: true }));
      const share = { ...definition, points: Math.max(1, Math.ceil(definition.points / instances)) };
      const insurance = wrap(share, new RateLimiterMemory(options(share, '')));
      return {
        definition,
        async consume(key, cost) {
          try {
            return await primary.consume(key, cost);
          } catch (error) {
            events.onInsurance(definition.name, error);
            return insurance.consume(key, cost);
          }
        },
        async peek(key) {
          try {
            return await primary.peek(key);
          } catch (error) {
            events.onInsurance(definition.name, error);
            return insurance.peek(key);
          }
        },
      };
    },
  };
}
