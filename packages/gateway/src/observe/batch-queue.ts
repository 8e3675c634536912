import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/**
 * Takes records off the hot path: appended in memory and written in one batch every interval. Bounded:
 * when full, a record is dropped and counted in `portcullis_queue_dropped_total{queue}`, never waited for.
 */
export class BatchQueue<T> {
  private pending: T[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly name: string,
    private readonly write: (batch: readonly T[]) => Promise<void>,
    private readonly options: { maxItems: number; intervalMs: number; metrics: Metrics; logger: Logger },
  ) {}

  push(item: T): void {
    if (this.pending.length >= this.options.maxItems) {
      this.options.metrics.queueDropped.inc({ queue: this.name });
      return;
    }
    this.pending.push(item);
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.intervalMs);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      await this.write(batch);
    } catch (error) {
      this.options.metrics.queueDropped.inc({ queue: this.name }, batch.length);
      this.options.logger.warn({ err: { message: (error as Error).message }, queue: this.name, records: batch.length }, 'could not write a batch of records');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
