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

const UNESCAPES: Readonly<Record<string, string>> = { '\\': '\\', n: '\n', r: '\r', t: '\t' };

/** A text field as accessRecordRowTail wrote it: `\N` is null, and `\\`, `\n`, `\r`, `\t` are the characters. */
function readCopyText(field: string): string | null {
  if (field === '\\N') return null;
  return field.includes('\\') ? field.replace(/\\(.)/gs, (_, c: string) => UNESCAPES[c] ?? c) : field;
}

/** A number field: `\N` is null; NaN and the infinities come back from PostgreSQL's words for them. */
function readCopyNumber(field: string): number | null {
  return field === '\\N' ? null : Number(field);
}

/** One row as the queue writes it (fields in ACCESS_RECORD_COLUMNS order, no newline) back to its record. */
export function readAccessRecordRow(line: string): AccessRecord {
  const f = line.split('\t');
  if (f.length !== ACCESS_RECORD_COLUMNS.length) throw new Error(`an access record row has ${f.length} fields, not ${ACCESS_RECORD_COLUMNS.length}`);
  return {
    at: new Date(f[0] as string),
    requestId: readCopyText(f[1] as string) as string,
    consumerId: readCopyText(f[2] as string),
    credentialId: readCopyText(f[3] as string),
    credentialKind: readCopyText(f[4] as string),
    service: readCopyText(f[5] as string),
    route: readCopyText(f[6] as string),
    method: readCopyText(f[7] as string) as string,
    path: readCopyText(f[8] as string) as string,
    status: readCopyNumber(f[9] as string) as number,
    latencyMs: readCopyNumber(f[10] as string) as number,
    upstreamMs: readCopyNumber(f[11] as string),
    clientIp: readCopyText(f[12] as string) as string,
    problem: readCopyText(f[13] as string),
  };
}

/** Rows of COPY text, one per line and each ending in a newline, as lines without it. */
export function rowLines(text: string): string[] {
  const lines = text.split('\n');
  lines.pop(); // after the last newline
  return lines;
}
