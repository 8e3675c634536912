import { createHash } from 'node:crypto';
import type { Sql } from '../store/sql.js';

export interface AuditEntry {
  readonly actor: string;
  readonly action: string;
  readonly target?: string;
  readonly detail?: Record<string, unknown>;
}

/** Serialises appends across instances for the length of the writing transaction. */
const AUDIT_LOCK = 0x706f7274_61756469n; // "portaudi"
const GENESIS = Buffer.alloc(32);

/**
 * Appends to the hash-chained audit log inside the caller's transaction, so an audited change and its
 * record commit together or not at all. Each record's hash covers the previous hash and its own content:
 * editing or deleting a past record breaks every hash after it.
 */
export async function appendAudit(tx: Sql, entry: AuditEntry, at: Date): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK.toString()]);
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
