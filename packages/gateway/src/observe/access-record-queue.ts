import { accessRecordRowTail } from './access-record-rows.js';
import type { AccessRecord } from './access-records.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** Records written together: their rows, and what the embedded store indexes a batch by. */
export interface AccessRecordBatch {
  /** `count` rows of COPY text (observe/access-record-rows.ts), handed over for good. */
  readonly rows: Uint8Array;
  readonly count: number;
  /** The earliest and latest `at` among the records (epoch ms). */
  readonly firstAt: number;
  readonly lastAt: number;
  /** The distinct consumer and credential ids among them (nulls left out). */
  readonly consumers: readonly string[];
  readonly credentials: readonly string[];
}

export interface AccessRecordQueueOptions {
  /** Writes one batch. */
  readonly write: (batch: AccessRecordBatch) => Promise<void>;
  /**
   * At most this many records wait while a batch is being written; more are dropped and counted in
   * `portcullis_queue_dropped_total{queue="access"}`. Half of it is a batch: written as soon as it is waiting.
   */
  readonly maxRecords: number;
  /** A partial batch is written after this long. */
  readonly intervalMs: number;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

/**
 * Access records waiting for their batch write, kept as rows of COPY text in a Buffer, off the JavaScript heap.
 * Kept as objects for up to an interval (5 s), every record outlived a young-generation collection and
 * was copied into the old generation, which then had to be marked and compacted: with records on, the
 * collector's threads used twice the CPU, about a sixth of what a request costs (docs/performance.md).
 * As text, a record's objects die young and the Buffer's bytes are never scanned.
 */
export class AccessRecordQueue {
  #buffer = Buffer.allocUnsafe(64 * 1024);
  #length = 0;
  #count = 0;
  #firstAt = Number.POSITIVE_INFINITY;
  #lastAt = Number.NEGATIVE_INFINITY;
  #consumers = new Set<string>();
  #credentials = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  /** The write in progress: the store gets one batch at a time. */
  #writing: Promise<void> | undefined;
  /**
   * Written without waiting for the interval: with only a timer, a queue of 10,000 and 5 s kept 2,000
   * records a second, and a busier gateway dropped the rest (docs/performance.md).
   */
  readonly #batchRecords: number;
  /** The last `at` written and its field: requests finishing in the same millisecond share it. */
  #stampedAt = Number.NaN;
  #stamp = '';
  readonly #dropped;

  constructor(private readonly options: AccessRecordQueueOptions) {
    this.#dropped = options.metrics.queueDropped.labels('access');
    this.#batchRecords = Math.max(1, Math.floor(options.maxRecords / 2));
  }

  /**
   * Queues a finished request's record, stamped `at` (epoch ms); false when the queue is full (the record
   * is dropped and counted). The time is written as text here, once per millisecond: a Date per record
   * cost twice as much as the rest of its row.
   */
  add(record: Omit<AccessRecord, 'at'>, at: number): boolean {
    if (this.#count >= this.options.maxRecords) {
      this.#dropped.inc();
      return false;
    }
    if (at !== this.#stampedAt) {
      this.#stampedAt = at;
      this.#stamp = new Date(at).toISOString();
    }
    const tail = accessRecordRowTail(record);
    // Room for the row at its longest (UTF-8 is at most 3 bytes per UTF-16 unit).
    const needed = this.#length + this.#stamp.length + tail.length * 3;
    if (needed > this.#buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.#buffer.length * 2));
      this.#buffer.copy(grown, 0, 0, this.#length);
      this.#buffer = grown;
    }
    this.#length += this.#buffer.write(this.#stamp, this.#length); // ASCII: UTF-8 is Buffer's direct path
    this.#length += this.#buffer.write(tail, this.#length);
    if (at < this.#firstAt) this.#firstAt = at;
    if (at > this.#lastAt) this.#lastAt = at;
    if (record.consumerId !== null) this.#consumers.add(record.consumerId);
    if (record.credentialId !== null) this.#credentials.add(record.credentialId);
    if (++this.#count >= this.#batchRecords && this.#writing === undefined) void this.#write();
    return true;
  }

  /** Records waiting now. */
  get size(): number {
    return this.#count;
  }

  start(): void {
    this.#timer = setInterval(() => void this.flush(), this.options.intervalMs);
    this.#timer.unref();
  }

  /** Writes every record added before the call (after any write in progress); resolves once they are stored or counted dropped. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
    if (this.#count > 0) await this.#write();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }

  /** Hands what is waiting to the store; one write at a time, the next started at once if a batch is waiting. */
  #write(): Promise<void> {
    // The filled buffer goes to the store as it is, and the queue carries on in a new one of the same size.
    const batch: AccessRecordBatch = {
      rows: this.#buffer.subarray(0, this.#length),
      count: this.#count,
      firstAt: this.#firstAt,
      lastAt: this.#lastAt,
      consumers: [...this.#consumers],
      credentials: [...this.#credentials],
    };
    this.#buffer = Buffer.allocUnsafe(this.#buffer.length);
    this.#length = 0;
    this.#count = 0;
    this.#firstAt = Number.POSITIVE_INFINITY;
    this.#lastAt = Number.NEGATIVE_INFINITY;
    this.#consumers = new Set();
    this.#credentials = new Set();
    const writing = this.#send(batch).then(() => {
      this.#writing = undefined;
      if (this.#count >= this.#batchRecords) void this.#write();
    });
    this.#writing = writing;
    return writing;
  }

  async #send(batch: AccessRecordBatch): Promise<void> {
    try {
      await this.options.write(batch);
    } catch (error) {
      this.#dropped.inc(batch.count);
      this.options.logger.warn({ err: { message: (error as Error).message }, queue: 'access', records: batch.count }, 'could not write a batch of queued records');
    }
  }
}
