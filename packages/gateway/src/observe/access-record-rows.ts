import type { AccessRecord } from './access-records.js';

/**
 * Access records as rows of PostgreSQL's COPY text format, the form the queue keeps and the store
 * loads (`Database.copyFrom`): fields in ACCESS_RECORD_COLUMNS order, separated by tabs, one line each.
 * COPY costs the embedded store about a third less per record than unpacking a JSON array with
 * json_to_recordset did, and the bytes reach it without becoming a JavaScript string (docs/performance.md).
 */

/** The table's columns, in the order of a row's fields. */
export const ACCESS_RECORD_COLUMNS = [
  'at', 'request_id', 'consumer_id', 'credential_id', 'credential_kind', 'service', 'route', 'method', 'path',
  'status', 'latency_ms', 'upstream_ms', 'client_ip', 'problem',
] as const;

/** Printable ASCII but the backslash: text COPY reads as it is written. */
const PLAIN = /^[ -[\]-~]*$/;
/** What COPY's text format escapes (backslash, newline, carriage return, tab), and NUL, which text cannot hold. */
const SPECIAL = /[\\\n\r\t\0]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\uFFFD' };

/** A text field: `\N` for null, the special characters escaped; NUL becomes U+FFFD (PostgreSQL text has no NUL). */
export function copyText(value: string | null): string {
  if (value === null) return '\\N';
  return PLAIN.test(value) ? value : value.replace(SPECIAL, (c) => ESCAPES[c] as string);
}

/**
 * A float8 or int4 field. Latencies are rounded to hundredths (pipeline/access-record.ts), and such a
 * value is written from its whole hundredths: the same digits String() gives for a third of the cost, as
 * V8 caches its shortest-digits search only for repeats. Not-a-number and infinities go as PostgreSQL's
 * own words for them (NaN, Infinity, -Infinity), so an odd value never fails a batch.
 */
export function copyNumber(value: number | null): string {
  if (value === null) return '\\N';
  const hundredths = Math.round(value * 100);
  if (hundredths / 100 !== value || hundredths < 0 || hundredths >= 1e15) return String(value);
  const whole = Math.floor(hundredths / 100);
  const fraction = hundredths - whole * 100;
  if (fraction === 0) return String(whole);
  return fraction % 10 === 0 ? `${whole}.${fraction / 10}` : `${whole}.${fraction < 10 ? '0' : ''}${fraction}`;
}

/** The record's row after its time stamp's field (the queue writes that once per millisecond), newline included. */
export function accessRecordRowTail(r: Omit<AccessRecord, 'at'>): string {
  return `\t${copyText(r.requestId)}\t${copyText(r.consumerId)}\t${copyText(r.credentialId)}\t${copyText(r.credentialKind)}\t${copyText(r.service)}\t${copyText(r.route)}\t${copyText(r.method)}\t${copyText(r.path)}\t${copyNumber(r.status)}\t${copyNumber(r.latencyMs)}\t${copyNumber(r.upstreamMs)}\t${copyText(r.clientIp)}\t${copyText(r.problem)}\n`;
}
