import type { Database } from '../store/sql.js';
import type { Clock } from '../state/clock.js';
import { appendAudit } from './audit.js';
import { CoalescingQueue } from './coalescing-queue.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { MAX_SAMPLES, count, newTally, tallyDetail } from './tally.js';
import type { Tally } from './tally.js';

/** Why a good key was refused where it was used (the caller only ever sees the 401 of a bad key). */
export type RefusalReason = 'ip-not-allowed' | 'origin-not-allowed';

interface KeyTally extends Tally {
  readonly consumerId: string;
  readonly origins: Set<string>;
}

const MAX_ORIGIN_LENGTH = 200;

/**
 * Allow-list refusals of good keys, for the key's owner: coalesced per key in memory and written to the
 * audit log (`key.refused`, target: the key id) in one transaction per interval, off the hot path.
 * Bounded like every queued record: when full, a refusal is counted as dropped, never waited for.
 */
export class RefusalAudit {
  private readonly queue: CoalescingQueue<string, KeyTally>;

  constructor(
    db: Database,
    private readonly options: { maxKeys: number; intervalMs: number; clock: Clock; metrics: Metrics; logger: Logger },
  ) {
    this.queue = new CoalescingQueue({
      name: 'refusal-audit',
      maxKeys: options.maxKeys,
      intervalMs: options.intervalMs,
      metrics: options.metrics,
      logger: options.logger,
      write: async (batch) => {
        const at = new Date(options.clock());
        await db.transaction(async (tx) => {
          for (const [keyId, tally] of batch) {
            const detail = { consumerId: tally.consumerId, ...tallyDetail(tally), origins: [...tally.origins] };
            await appendAudit(tx, { actor: 'gateway', action: 'key.refused', target: keyId, detail }, at);
          }
        });
      },
    });
  }

  record(keyId: string, consumerId: string, reason: RefusalReason, clientIp: string, origin: string | undefined): void {
    const now = this.options.clock();
    let tally = this.queue.get(keyId);
    if (!tally) {
      tally = { ...newTally(now), consumerId, origins: new Set() };
      if (!this.queue.set(keyId, tally)) return;
    }
    count(tally, reason, clientIp, now);
    if (origin !== undefined && tally.origins.size < MAX_SAMPLES) tally.origins.add(origin.slice(0, MAX_ORIGIN_LENGTH));
  }

  start(): void {
    this.queue.start();
  }

  flush(): Promise<void> {
    return this.queue.flush();
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
