import type { Clock } from '../state/clock.js';
import type { Database } from '../store/sql.js';
import { appendAudit } from './audit.js';
import { CoalescingQueue } from './coalescing-queue.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { SecurityEvent } from './security-events.js';
import { count, newTally, tallyDetail } from './tally.js';
import type { Tally } from './tally.js';

/** How often refused credentials and token requests are summarised into the audit log. */
export const AUTH_FAILURE_SUMMARY_MS = 60_000;
/** The insurance limiter's warning is written at most this often, so an outage does not flood the log. */
const INSURANCE_LOG_EVERY_MS = 10_000;

/** The audit target of each summary: what was refused. */
const SUMMARY_TARGET = { auth_failed: 'credentials', token_issue_failed: 'oauth-token' } as const;
type Summarised = keyof typeof SUMMARY_TARGET;

export interface SecurityAudit {
  readonly listener: (event: SecurityEvent) => void;
  start(): void;
  /** Writes pending summaries and waits for block records in flight. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * What security events leave in the audit log (and the log): each brute-force block at once
 * (`auth.block`), refused credentials and token requests summarised per interval (`auth.failures`:
 * counts by reason, a few sample addresses), so a flood of failures is one record a minute, not one a
 * request. Writes are off the request path; a failed write is logged, never thrown at the producer.
 */
export function createSecurityAudit(options: { db: Database; clock: Clock; metrics: Metrics; logger: Logger; intervalMs?: number }): SecurityAudit {
  const { db, clock, logger } = options;
  const writing = new Set<Promise<unknown>>();
  let lastInsuranceLog = -Infinity;
  const summaries = new CoalescingQueue<Summarised, Tally>({
    name: 'auth-failure-audit',
    maxKeys: 2,
    intervalMs: options.intervalMs ?? AUTH_FAILURE_SUMMARY_MS,
    metrics: options.metrics,
    logger,
    write: (batch) =>
      db.transaction(async (tx) => {
        const at = new Date(clock());
        for (const [kind, tally] of batch) await appendAudit(tx, { actor: 'gateway', action: 'auth.failures', target: SUMMARY_TARGET[kind], detail: tallyDetail(tally) }, at);
      }),
  });

  function audit(action: string, target: string, detail: Record<string, unknown>): void {
    const work = db
      .transaction((tx) => appendAudit(tx, { actor: 'system', action, target, detail }, new Date(clock())))
      .catch((error: unknown) => logger.error({ err: { message: (error as Error).message }, action, target }, 'could not write a security event to the audit log'));
    writing.add(work);
    void work.finally(() => writing.delete(work));
  }

  function summarise(kind: Summarised, reason: string, clientIp: string): void {
    const now = clock();
    let tally = summaries.get(kind);
    if (!tally) {
      tally = newTally(now);
      if (!summaries.set(kind, tally)) return;
    }
    count(tally, reason, clientIp, now);
  }

  return {
    listener(event) {
      switch (event.kind) {
        case 'bruteforce_blocked':
          audit('auth.block', `${event.target}:${event.subject}`, { failures: event.failures, blockSeconds: event.blockSeconds, clientIp: event.clientIp });
          break;
        case 'auth_failed':
        case 'token_issue_failed':
          summarise(event.kind, event.reason, event.clientIp);
          break;
        case 'insurance_limiter': {
          const now = clock();
          if (now - lastInsuranceLog < INSURANCE_LOG_EVERY_MS) break;
          lastInsuranceLog = now;
          logger.warn({ limit: event.limit, err: { message: (event.error as Error)?.message } }, "redis failed: rate limits enforced in process at this instance's share (limit / redis.instances)");
          break;
        }
        default:
          break;
      }
    },
    start: () => summaries.start(),
    async flush() {
      await Promise.all([...writing]);
      await summaries.flush();
    },
    async close() {
      await Promise.all([...writing]);
      await summaries.close();
    },
  };
}
