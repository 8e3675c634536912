import type { AccessRecord } from './access-records.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

export interface AccessRecordQueueOptions {
  /** Writes one interval's records: a JSON array of AccessRecord (dates as ISO strings). */
  readonly write: (json: string, count: number) => Promise<void>;
  /** At most this many records wait; more are dropped and counted in `portcullis_queue_dropped_total{queue="access"}`. */
  readonly maxRecords: number;
  readonly intervalMs: number;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

/** Printable ASCII but the quote and the backslash: text JSON.stringify would write unchanged between quotes. */
const PLAIN = /^[ !#-[\]-~]*$/;

function text(value: string | null): string {
  if (value === null) return 'null';
  return PLAIN.test(value) ? `"${value}"` : JSON.stringify(value);
}

/**
 * A number as JSON. Latencies are rounded to hundredths (pipeline/access-record.ts), and such a value is
 * written from its whole hundredths: the same text String() gives (the shortest that reads back as the
 * same number) for a third of the cost, as V8's shortest-digits search is cached only for repeats.
 */
function num(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return 'null';
  const hundredths = Math.round(value * 100);
  if (hundredths / 100 !== value || hundredths < 0 || hundredths >= 1e15) return String(value);
  const whole = Math.floor(hundredths / 100);
  const fraction = hundredths - whole * 100;
  if (fraction === 0) return String(whole);
  return fraction % 10 === 0 ? `${whole}.${fraction / 10}` : `${whole}.${fraction < 10 ? '0' : ''}${fraction}`;
}

/**
 * The record's fields as JSON, without the opening brace (the time stamp's text comes first). The same
 * text JSON.stringify gives, built from the fields: ids, routes and paths are plain ASCII and go in as
 * they are, anything else through JSON.stringify. A whole-object JSON.stringify per request cost twice
 * as much (docs/performance.md).
 */
function recordFields(r: Omit<AccessRecord, 'at'>): string {
  return `"requestId":${text(r.requestId)},"consumerId":${text(r.consumerId)},"credentialId":${text(r.credentialId)},"credentialKind":${text(r.credentialKind)},"service":${text(r.service)},"route":${text(r.route)},"method":${text(r.method)},"path":${text(r.path)},"status":${num(r.status)},"latencyMs":${num(r.latencyMs)},"upstreamMs":${num(r.upstreamMs)},"clientIp":${text(r.clientIp)},"problem":${text(r.problem)}}`;
}

/**
 * Access records waiting for their batch write, kept as JSON text in a Buffer, off the JavaScript heap.
 * Kept as objects for up to an interval (5 s), every record outlived a young-generation collection and
 * was copied into the old generation, which then had to be marked and compacted: with records on, the
 * collector's threads used twice the CPU, about a sixth of what a request costs (docs/performance.md).
 * As text, a record's objects die young and the Buffer's bytes are never scanned.
 */
export class AccessRecordQueue {
  #buffer = Buffer.allocUnsafe(64 * 1024);
  #length = 0;
  #count = 0;
  #timer: NodeJS.Timeout | undefined;
  /** The last `at` written and its text: requests finishing in the same millisecond share it. */
  #stampedAt = Number.NaN;
  #stamp = '';
  readonly #dropped;

  constructor(private readonly options: AccessRecordQueueOptions) {
    this.#dropped = options.metrics.queueDropped.labels('access');
  }

  /**
   * Queues a finished request's record, stamped `at` (epoch ms); false when the queue is full (the record
   * is dropped and counted). The time is written as text here, once per millisecond: spreading the record
   * into a new object with a Date, for JSON.stringify to call its toJSON, cost twice as much as the rest.
   */
  add(record: Omit<AccessRecord, 'at'>, at: number): boolean {
    if (this.#count >= this.options.maxRecords) {
      this.#dropped.inc();
      return false;
    }
    if (at !== this.#stampedAt) {
      this.#stampedAt = at;
      this.#stamp = `{"at":"${new Date(at).toISOString()}",`;
    }
    const json = recordFields(record);
    // Room for a separator and the record at its longest (UTF-8 is at most 3 bytes per UTF-16 unit).
    const needed = this.#length + 1 + this.#stamp.length + json.length * 3;
    if (needed > this.#buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.#buffer.length * 2));
      this.#buffer.copy(grown, 0, 0, this.#length);
      this.#buffer = grown;
    }
    if (this.#count > 0) this.#buffer[this.#length++] = 0x2c; // ','
    this.#length += this.#buffer.write(this.#stamp, this.#length); // ASCII: UTF-8 is Buffer's direct path
    this.#length += this.#buffer.write(json, this.#length);
    this.#count++;
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

  async flush(): Promise<void> {
    if (this.#count === 0) return;
    const count = this.#count;
    const json = `[${this.#buffer.toString('utf8', 0, this.#length)}]`;
    this.#length = 0;
    this.#count = 0;
    try {
      await this.options.write(json, count);
    } catch (error) {
      this.#dropped.inc(count);
      this.options.logger.warn({ err: { message: (error as Error).message }, queue: 'access', records: count }, 'could not write a batch of queued records');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
