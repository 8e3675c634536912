import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export interface CoalescingQueueOptions<K, V> {
  /** The `queue` label of `portcullis_queue_dropped_total`, and the name in the log. */
  readonly name: string;
  /** Writes one interval's values; a rejection drops them (counted), it is not retried. */
  readonly write: (batch: ReadonlyMap<K, V>) => Promise<void>;
  readonly maxKeys: number;
  readonly intervalMs: number;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

/**
 * Takes records off the hot path: kept in memory under a key (a later value for the same key replaces or
 * updates the earlier one) and written in one batch every interval. Bounded: a new key that does not fit
 * is dropped and counted in `portcullis_queue_dropped_total{queue}`, never waited for. `get` and `set`
 * allocate nothing, so a caller on the success path pays one map operation.
 *
 * It serves last-used times (key id -> time) and tallies of refusals and auth failures (subject ->
 * counts, updated in place). Access records, one per request, have a queue of their own that keeps them
 * off the JavaScript heap (access-record-queue.ts).
 */
export class CoalescingQueue<K, V> {
  private pending = new Map<K, V>();
  private timer: NodeJS.Timeout | undefined;
  private readonly dropped;

  constructor(private readonly options: CoalescingQueueOptions<K, V>) {
    this.dropped = options.metrics.queueDropped.labels(options.name);
  }

  /** The value waiting under `key`, to update in place. */
  get(key: K): V | undefined {
    return this.pending.get(key);
  }

  /** Sets `key`'s value; false when the queue is full and `key` is new (the value is dropped and counted). */
  set(key: K, value: V): boolean {
    if (this.pending.size >= this.options.maxKeys && !this.pending.has(key)) {
      this.dropped.inc();
      return false;
    }
    this.pending.set(key, value);
    return true;
  }

  /** Whether a new key would be dropped now (lets a caller skip building a value that would not be kept). */
  full(): boolean {
    return this.pending.size >= this.options.maxKeys;
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
      await this.options.write(batch);
    } catch (error) {
      this.dropped.inc(batch.size);
      this.options.logger.warn({ err: { message: (error as Error).message }, queue: this.options.name, records: batch.size }, 'could not write a batch of queued records');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
