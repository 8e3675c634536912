import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/**
 * Takes "key X was used at T" off the hot path: coalesced per key in memory and written in one batch
 * every interval. Bounded: when full, a touch is dropped and counted, never waited for.
 */
export class LastUsedQueue {
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly write: (batch: ReadonlyMap<string, number>) => Promise<void>,
    private readonly options: { maxKeys: number; intervalMs: number; metrics: Metrics; logger: Logger },
  ) {}

  touch(keyId: string, at: number): void {
    if (!this.pending.has(keyId) && this.pending.size >= this.options.maxKeys) {
      this.options.metrics.queueDropped.inc({ queue: 'last-used' });
      return;
    }
    this.pending.set(keyId, at);
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.intervalMs);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.write(batch);
    } catch (error) {
      this.options.metrics.queueDropped.inc({ queue: 'last-used' }, batch.size);
      this.options.logger.warn({ err: { message: (error as Error).message }, keys: batch.size }, 'could not record key last-used times');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
