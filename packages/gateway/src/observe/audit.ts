import { createHash } from 'node:crypto';
import { selectNewestFirst } from '../store/filtered-query.js';
import type { Sql } from '../store/sql.js';

export interface AuditEntry {
  readonly actor: string;
  readonly action: string;
  readonly target?: string;
  readonly detail?: Record<string, unknown>;
}

/** Serialises appends across instances for the length of the writing transaction. */
export const AUDIT_LOCK = 0x706f7274_61756469n; // "portaudi"
export const GENESIS: Buffer = Buffer.alloc(32);

/**
 * Appends to the hash-chained audit log inside the caller's transaction, so an audited change and its
 * record commit together or not at all. Each record's hash covers the previous hash and its own content:
 * editing or deleting a past record breaks every hash after it.
 */
export async function appendAudit(tx: Sql, entry: AuditEntry, at: Date): Promise<void> {
  await lockAuditLog(tx);
  const [last] = await tx.query<{ hash: Buffer }>('SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1');
  const prev = last?.hash ?? GENESIS;
  const detail = entry.detail ?? {};
  const hash = auditHash(prev, at, entry, detail);
  await tx.query(
    'INSERT INTO audit_events (at, actor, action, target, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [at.toISOString(), entry.actor, entry.action, entry.target ?? null, JSON.stringify(detail), prev, hash],
  );
}

export function auditHash(prev: Buffer, at: Date, entry: AuditEntry, detail: Record<string, unknown>): Buffer {
  const content = JSON.stringify([at.toISOString(), entry.actor, entry.action, entry.target ?? null, canonical(detail)]);
  return createHash('sha256').update(prev).update(content).digest();
}

/** JSON with sorted keys, so the hash does not depend on how jsonb stored the object. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

export type AuditVerification =
  | { readonly ok: true; readonly records: number; readonly head: string | null }
  | { readonly ok: false; readonly records: number; readonly brokenAt: string };

/**
 * Recomputes the chain from the first record: any edited, deleted or reordered record shows up as the
 * first sequence number whose stored hashes do not match. Reads in pages, so memory stays flat.
 */
export async function verifyAuditChain(db: Sql, pageSize = 1_000): Promise<AuditVerification> {
  let prev = GENESIS;
  let after = '0';
  let records = 0;
  for (;;) {
    const rows = await selectAuditRowsAfter(db, after, pageSize);
    for (const row of rows) {
      const expected = auditHash(prev, row.at, { actor: row.actor, action: row.action, ...(row.target === null ? {} : { target: row.target }) }, row.detail);
      if (!row.prev_hash.equals(prev) || !row.hash.equals(expected)) return { ok: false, records, brokenAt: row.seq };
      prev = row.hash;
      records++;
    }
    if (rows.length < pageSize) return { ok: true, records, head: records === 0 ? null : prev.toString('hex') };
    after = (rows.at(-1) as { seq: string }).seq;
  }
}

export interface AuditRow extends Record<string, unknown> {
  readonly seq: string;
  readonly at: Date;
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  readonly detail: Record<string, unknown>;
  readonly prev_hash: Buffer;
  readonly hash: Buffer;
}

/** Holds every other writer of the audit log off until the caller's transaction ends. */
export async function lockAuditLog(tx: Sql): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK.toString()]);
}

/** Records after `seq`, oldest first (`limit` of them, or all). */
export async function selectAuditRowsAfter(sql: Sql, seq: string, limit?: number): Promise<AuditRow[]> {
  const select = 'SELECT seq, at, actor, action, target, detail, prev_hash, hash FROM audit_events WHERE seq > $1 ORDER BY seq';
  return limit === undefined ? sql.query<AuditRow>(select, [seq]) : sql.query<AuditRow>(`${select} LIMIT $2`, [seq, limit]);
}

/** The stored hash of record `seq`, or undefined when there is no such record. */
export async function selectAuditHash(sql: Sql, seq: string): Promise<Buffer | undefined> {
  const [row] = await sql.query<{ hash: Buffer }>('SELECT hash FROM audit_events WHERE seq = $1', [seq]);
  return row?.hash;
}

export async function hasAuditRecords(sql: Sql): Promise<boolean> {
  return (await sql.query('SELECT 1 FROM audit_events LIMIT 1')).length > 0;
}

/** The sealed chain head: the newest sealed record's position and hash, and the seal over both. */
export interface AuditHead {
  readonly seq: string;
  readonly hash: Buffer;
  readonly seal: string;
}

export async function selectAuditHead(sql: Sql): Promise<AuditHead | undefined> {
  const [row] = await sql.query<{ seq: string; hash: Buffer; seal: string }>('SELECT seq, hash, seal FROM audit_head');
  return row ? { seq: row.seq, hash: row.hash, seal: row.seal } : undefined;
}

export async function writeAuditHead(sql: Sql, head: AuditHead): Promise<void> {
  await sql.query(
    `INSERT INTO audit_head (one, seq, hash, seal) VALUES (true, $1, $2, $3)
     ON CONFLICT (one) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash, seal = EXCLUDED.seal`,
    [head.seq, head.hash, head.seal],
  );
}

export interface AuditFilter {
  readonly actor?: string;
  readonly action?: string;
  readonly target?: string;
  readonly since?: Date;
  readonly until?: Date;
  readonly before?: string;
}

/** Newest first, filtered; `action` may end in `.*` for a family (`key.*`). */
export async function queryAudit(sql: Sql, filter: AuditFilter, limit: number): Promise<AuditRow[]> {
  const family = filter.action?.endsWith('.*') ? filter.action.slice(0, -1) : undefined;
  return selectNewestFirst<AuditRow>(
    sql,
    'SELECT seq, at, actor, action, target, detail, prev_hash, hash FROM audit_events',
    [
      ['actor = ?', filter.actor],
      family ? ['starts_with(action, ?)', family] : ['action = ?', filter.action],
      ['target = ?', filter.target],
      ['at >= ?', filter.since?.toISOString()],
      ['at < ?', filter.until?.toISOString()],
      ['seq < ?', filter.before],
    ],
    limit,
  );
}

export function describeAuditRow(row: AuditRow) {
  return { seq: row.seq, at: row.at.toISOString(), actor: row.actor, action: row.action, target: row.target, detail: row.detail, hash: row.hash.toString('hex') };
}
