import { randomFillSync } from 'node:crypto';

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the gateway takes part in the caller's
 * trace, or starts one, and sends the upstream a `traceparent` naming its own span as the parent.
 */
export interface TraceParent {
  readonly traceId: string;
  readonly parentSpanId: string | undefined;
  readonly sampled: boolean;
}

/** version 00: `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`; all-zero ids are invalid (§3.2.2). */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** The incoming trace, or undefined when there is none or it is malformed (then a new trace starts). */
export function parseTraceparent(header: string | string[] | undefined): TraceParent | undefined {
  if (typeof header !== 'string') return undefined;
  const m = TRACEPARENT.exec(header.trim());
  if (!m || m[1] === ZERO_TRACE || m[2] === ZERO_SPAN) return undefined;
  return { traceId: m[1] as string, parentSpanId: m[2] as string, sampled: (parseInt(m[3] as string, 16) & 1) === 1 };
}

export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

/** One request's span: its ids (for the upstream's traceparent) and how to end it. */
export interface RequestSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceparent: string;
  end(outcome: { readonly status: number; readonly service: string | null; readonly route: string | null; readonly method: string }): void;
}

export interface RequestTracer {
  start(incoming: string | string[] | undefined): RequestSpan;
  close(): Promise<void>;
}

const NOOP_END = () => undefined;

/**
 * Random hex ids from a pool refilled 4 KiB at a time: one CSPRNG call per ~170 requests instead of two
 * `randomBytes` calls (each a native job and a Buffer) per request, which cost ~5 % of the gateway's
 * busy time on the hot path (docs/performance.md).
 */
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let poolOffset = POOL_BYTES;
export function randomHex(bytes: number): string {
  if (poolOffset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/**
 * Without an exporter: ids only, so the upstream still gets a traceparent that continues the caller's
 * trace (the caller's sampled flag kept), or a new unsampled one. No span is kept or sent.
 */
export const propagatingTracer: RequestTracer = {
  start(incoming) {
    const parent = parseTraceparent(incoming);
    const traceId = parent?.traceId ?? randomHex(16);
    const spanId = randomHex(8);
    return { traceId, spanId, traceparent: formatTraceparent(traceId, spanId, parent?.sampled ?? false), end: NOOP_END };
  },
  close: async () => undefined,
};
