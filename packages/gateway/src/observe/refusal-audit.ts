import type { Database } from '../store/sql.js';
import type { Clock } from '../state/clock.js';
import { appendAudit } from './audit.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** Why a good key was refused where it was used (the caller only ever sees the 401 of a bad key). */
export type RefusalReason = 'ip-not-allowed' | 'origin-not-allowed';

interface Tally {
  readonly consumerId: string;
  readonly reasons: Partial<Record<RefusalReason, number>>;
  readonly clientIps: Set<string>;
  readonly origins: Set<string>;
  readonly first: number;
  last: number;
}

/** Enough to see where a key is being tried from, without letting one flood grow the record. */
const MAX_SAMPLES = 5;
const MAX_ORIGIN_LENGTH = 200;

/**
 * Allow-list refusals of good keys, for the key's owner: coalesced per key in memory and written to the
 * audit log (`key.refused`, target: the key id) in one transaction per interval, off the hot path.
 * Bounded like the last-used queue: when full, a refusal is counted as dropped, never waited for.
 */
export class RefusalAudit {
  private pending = new Map<string, Tally>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    private readonly options: { maxKeys: number; intervalMs: number; clock: Clock; metrics: Metrics; logger: Logger },
  ) {}

  record(keyId: string, consumerId: string, reason: RefusalReason, clientIp: string, origin: string | undefined): void {
    let tally = this.pending.get(keyId);
    if (!tally) {
      if (this.pending.size >= this.options.maxKeys) {
        this.options.metrics.queueDropped.inc({ queue: 'refusal-audit' });
        return;
      }
      const now = this.options.clock();
      tally = { consumerId, reasons: {}, clientIps: new Set(), origins: new Set(), first: now, last: now };
      this.pending.set(keyId, tally);
    }
    tally.reasons[reason] = (tally.reasons[reason] ?? 0) + 1;
    tally.last = this.options.clock();
    if (tally.clientIps.size < MAX_SAMPLES) tally.clientIps.add(clientIp);
    if (origin !== undefined && tally.origins.size < MAX_SAMPLES) tally.origins.add(origin.slice(0, MAX_ORIGIN_LENGTH));
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.intervalMs);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const at = new Date(this.options.clock());
    try {
      await this.db.transaction(async (tx) => {
        for (const [keyId, tally] of batch) {
          const detail = {
            consumerId: tally.consumerId,
            reasons: tally.reasons,
            clientIps: [...tally.clientIps],
            origins: [...tally.origins],
            from: new Date(tally.first).toISOString(),
            to: new Date(tally.last).toISOString(),
          };
          await appendAudit(tx, { actor: 'gateway', action: 'key.refused', target: keyId, detail }, at);
        }
      });
    } catch (error) {
      this.options.metrics.queueDropped.inc({ queue: 'refusal-audit' }, batch.size);
      this.options.logger.warn({ err: { message: (error as Error).message }, keys: batch.size }, 'could not record allow-list refusals in the audit log');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
