import type { StoredAccessRecord } from './access-record-repository.js';

/**
 * One data-plane request, as kept for review: who (consumer, credential id and kind), what (service,
 * route pattern, method, path without query), the outcome and timings, and from where. Never a
 * credential, a query string or a body.
 */
export interface AccessRecord {
  readonly at: Date;
  readonly requestId: string;
  readonly consumerId: string | null;
  readonly credentialId: string | null;
  readonly credentialKind: string | null;
  readonly service: string | null;
  readonly route: string | null;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Whole request in the gateway, ms. */
  readonly latencyMs: number;
  /** Of which waiting on and streaming from the upstream, ms (null when it never reached one). */
  readonly upstreamMs: number | null;
  readonly clientIp: string;
  /** The refusal's problem code, when the gateway refused. */
  readonly problem: string | null;
}

// The SQL is in the repository; the admin routes read records through these names.
export { insertAccessRecords, purgeAccessRecords, queryAccessRecords } from './access-record-repository.js';
export type { AccessFilter, StoredAccessRecord } from './access-record-repository.js';

export function describeAccessRecord(r: StoredAccessRecord) {
  return { ...r, at: r.at.toISOString() };
}
