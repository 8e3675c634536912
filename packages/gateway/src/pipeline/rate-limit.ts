import { formatRateLimit, formatRateLimitPolicy } from '@portcullis/protocol';
import type { IncomingMessage } from 'node:http';
import type { RateLimitConfig } from '../config/schema.js';
import { limitKeyOfIp } from '../http/ip-ranges.js';
import { problem } from '../http/problems.js';
import type { Problem } from '../http/problems.js';
import type { SecurityEvents } from '../observe/security-events.js';
import type { RateDecision, RateLimitStore } from '../state/rate-limit-store.js';
import type { RequestContext } from './context.js';
import type { Stage } from './data-plane.js';

/** Whose budget a request spends: the consumer's (never the key's, so rotation does not reset it) or the client IP's. */
export type RateLimitSubject = 'consumer' | 'ip';

export interface RateLimitStageOptions {
  readonly store: RateLimitStore;
  readonly events: SecurityEvents;
  readonly service: string;
  /** Distinguishes limiters: the service, or the service and route for a route's own limit. */
  readonly scope: string;
  readonly subject: RateLimitSubject;
  readonly limit: RateLimitConfig;
}

const toSeconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/**
 * Spends one point of the subject's budget. A refusal is 429 with Retry-After (RFC 9110 §10.2.3) and the
 * IETF RateLimit-Policy / RateLimit fields; a pass adds RateLimit-Policy / RateLimit to the response.
 */
export function createRateLimitStage(options: RateLimitStageOptions): Stage {
  const { store, events, service, subject, limit } = options;
  const limiter = store.limiter({ name: `${subject}:${options.scope}`, points: limit.requests, durationMs: limit.per });
  const policy = formatRateLimitPolicy({ name: subject, quota: limit.requests, windowSeconds: toSeconds(limit.per) });

  function headers(decision: RateDecision): string[] {
    return ['ratelimit-policy', policy, 'ratelimit', formatRateLimit({ name: subject, remaining: decision.remaining, resetSeconds: toSeconds(decision.resetMs) })];
  }

  return async function rateLimit(_req: IncomingMessage, ctx: RequestContext): Promise<Problem | undefined> {
    // The consumer, not the credential: a rotated key or an access token spends the same budget.
    const key = subject === 'consumer' ? ctx.principal?.consumerId : limitKeyOfIp(ctx.clientIp);
    if (key === undefined) return undefined; // a consumer limit on a request without principal: the ip limit covers it
    const decision = await limiter.consume(key);
    const fields = headers(decision);
    if (decision.allowed) {
      (ctx.responseHeaders ??= []).push(...fields);
      return undefined;
    }
    events.emit({ kind: 'rate_limited', consumerId: ctx.principal?.consumerId ?? null, service, subject, clientIp: ctx.clientIp });
    return problem('rate-limited', undefined, {
      'retry-after': String(Math.max(1, toSeconds(decision.resetMs))),
      [fields[0] as string]: fields[1] as string,
      [fields[2] as string]: fields[3] as string,
    });
  };
}
