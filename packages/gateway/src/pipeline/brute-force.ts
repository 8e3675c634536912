import { setTimeout as sleep } from 'node:timers/promises';
import { boundedCache } from '../lib/bounded-cache.js';
import type { ParsedConfig } from '../config/schema.js';
import { limitKeyOfIp } from '../http/ip-ranges.js';
import { problem } from '../http/problems.js';
import type { Problem } from '../http/problems.js';
import type { Logger } from '../observe/logger.js';
import type { SecurityEvents } from '../observe/security-events.js';
import type { Clock } from '../state/clock.js';
import type { RateDecision, RateLimitStore } from '../state/rate-limit-store.js';
import type { RequestContext } from './context.js';

export type BruteForcePolicy = ParsedConfig['bruteForce'];

export interface AuthGuard {
  /** Synchronous, before the credential is looked up: refuses (429) a client IP already blocked here. */
  admit(ctx: RequestContext): Problem | undefined;
  /** After a refused credential: counts the failure, slows the answer, and turns it into a 429 once blocked. */
  refused(ctx: RequestContext, credentialId: string | undefined, refusal: Problem): Promise<Problem>;
}

function blocked(retryAfterMs: number): Problem {
  return problem('rate-limited', undefined, { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) });
}

/**
 * Brute-force defence (OWASP "blocking brute force attacks"). Failures are counted per client IP and per
 * credential id, across instances when Redis is configured. Past `slowAfter` each failure is answered a
 * little later; past the limit the subject is blocked for `block`:
 * - a blocked IP is refused before its credentials reach the store (so random ids with valid checksums
 *   stop costing queries);
 * - a blocked credential id only turns *failures* into 429: the right secret still works, so an attacker
 *   cannot lock a consumer out of its other addresses by failing against its key id.
 */
export function createAuthGuard(options: {
  readonly policy: BruteForcePolicy;
  readonly store: RateLimitStore;
  /** Each block is a `bruteforce_blocked` event: counted, audited, alerted on (observe/). */
  readonly events: SecurityEvents;
  readonly logger: Logger;
  readonly clock: Clock;
}): AuthGuard {
  const { policy, store, events, logger, clock } = options;
  const ipFailures = store.limiter({ name: 'bf-ip', points: policy.ipFailures, durationMs: policy.window, blockMs: policy.block });
  const credentialFailures = store.limiter({ name: 'bf-credential', points: policy.credentialFailures, durationMs: policy.window, blockMs: policy.block });
  // Blocks this instance has seen, so a blocked IP costs no round trip; bounded, since IPs are many.
  const blockedIps = boundedCache<string, number>({ max: 100_000 });

  function noteBlock(ctx: RequestContext, target: 'ip' | 'credential', subject: string, decision: RateDecision, points: number): void {
    if (decision.consumed !== points + 1) return; // only the failure that crossed the line is news
    const blockSeconds = Math.ceil(decision.resetMs / 1000);
    logger.warn({ kind: target, subject, failures: decision.consumed, blockSeconds }, 'blocked after repeated authentication failures');
    events.emit({ kind: 'bruteforce_blocked', target, subject, clientIp: ctx.clientIp, failures: decision.consumed, blockSeconds });
  }

  return {
    admit(ctx) {
      const ip = limitKeyOfIp(ctx.clientIp); // an IPv6 client by its /64
      const until = blockedIps.get(ip);
      if (until === undefined) return undefined;
      const left = until - clock();
      if (left > 0) return blocked(left);
      blockedIps.delete(ip);
      return undefined;
    },

    async refused(ctx, credentialId, refusal) {
      const ipKey = limitKeyOfIp(ctx.clientIp);
      const [ip, credential] = await Promise.all([
        ipFailures.consume(ipKey),
        credentialId === undefined ? undefined : credentialFailures.consume(credentialId),
      ]);
      if (!ip.allowed) {
        blockedIps.set(ipKey, clock() + ip.resetMs);
        noteBlock(ctx, 'ip', ipKey, ip, policy.ipFailures);
        return blocked(ip.resetMs);
      }
      if (credential && !credential.allowed) {
        noteBlock(ctx, 'credential', credentialId as string, credential, policy.credentialFailures);
        return blocked(credential.resetMs);
      }
      const failures = Math.max(ip.consumed, credential?.consumed ?? 0);
      if (failures > policy.slowAfter) {
        // Doubling from 100 ms: a person who mistyped barely notices, a guessing loop crawls.
        const delayMs = Math.min(policy.maxDelay, 100 * 2 ** Math.min(failures - policy.slowAfter - 1, 16));
        logger.debug({ requestId: ctx.id, failures, delayMs }, 'authentication failure slowed');
        await sleep(delayMs);
      }
      return refusal;
    },
  };
}
