import type { Keyring } from '../crypto/keyring.js';
import type { Database, Sql } from '../store/sql.js';
import { GENESIS, auditHash, hasAuditRecords, lockAuditLog, selectAuditHash, selectAuditHead, selectAuditRowsAfter, verifyAuditChain, writeAuditHead } from './audit.js';
import type { AuditHead } from './audit.js';

/**
 * The hash chain catches an edited or deleted record, but not a rewrite of the whole table with fresh,
 * consistent hashes. So the chain's head (sequence number and hash) is sealed under a keyring data key
 * (AES-256-GCM: without the master key no one can make a seal that opens): a rewritten table no longer
 * holds the sealed hash at the sealed position, and a forged head does not open.
 */
const SEAL_CONTEXT = 'audit-head';

export type SealCheck =
  | { readonly ok: true; readonly head: AuditHead | undefined }
  | { readonly ok: false; readonly reason: 'seal-invalid' | 'rewritten' | 'truncated' | 'head-missing'; readonly brokenAt?: string };

function sealText(seq: string, hash: Buffer): string {
  return `${seq}:${hash.toString('hex')}`;
}

/** The sealed head opens, names itself, and the record at its position still has its hash. */
async function checkHead(sql: Sql, keyring: Keyring): Promise<SealCheck> {
  const head = await selectAuditHead(sql);
  if (!head) return (await hasAuditRecords(sql)) ? { ok: false, reason: 'head-missing' } : { ok: true, head: undefined };
  let opened: string;
  try {
    opened = (await keyring.decrypt(head.seal, SEAL_CONTEXT)).toString('utf8');
  } catch {
    return { ok: false, reason: 'seal-invalid', brokenAt: head.seq };
  }
  if (opened !== sealText(head.seq, head.hash)) return { ok: false, reason: 'seal-invalid', brokenAt: head.seq };
  if (head.seq === '0') return head.hash.equals(GENESIS) ? { ok: true, head } : { ok: false, reason: 'seal-invalid', brokenAt: head.seq };
  const stored = await selectAuditHash(sql, head.seq);
  if (!stored) return { ok: false, reason: 'truncated', brokenAt: head.seq };
  if (!stored.equals(head.hash)) return { ok: false, reason: 'rewritten', brokenAt: head.seq };
  return { ok: true, head };
}

/**
 * Moves the seal to the newest record, after checking that the chain still passes through the sealed
 * head and links correctly from there: a tampered log is never sealed over. Cheap: only records newer
 * than the head are read. Runs at start and every few seconds.
 *
 * `firstSeal` (at start only) seals a log that has no head yet, once its whole chain verifies: a log
 * written before sealing existed. Later, a missing head is reported, never silently replaced, since a
 * deleted head followed by a rewrite would otherwise be sealed over.
 */
export async function sealAuditHead(db: Database, keyring: Keyring, options: { firstSeal?: boolean } = {}): Promise<SealCheck> {
  return db.transaction(async (tx) => {
    await lockAuditLog(tx);
    const check = await checkHead(tx, keyring);
    if (!check.ok && (check.reason !== 'head-missing' || !options.firstSeal)) return check;
    if (!check.ok) {
      // Never sealed (a log from before sealing existed): seal only a chain that verifies from the start.
      const full = await verifyAuditChain(tx);
      if (!full.ok) return { ok: false, reason: 'rewritten', brokenAt: full.brokenAt };
    }
    let prev = check.ok && check.head ? check.head.hash : GENESIS;
    let last = check.ok && check.head ? check.head.seq : '0';
    const rows = await selectAuditRowsAfter(tx, last);
    for (const row of rows) {
      const expected = auditHash(prev, row.at, { actor: row.actor, action: row.action, ...(row.target === null ? {} : { target: row.target }) }, row.detail);
      if (!row.prev_hash.equals(prev) || !row.hash.equals(expected)) return { ok: false, reason: 'rewritten', brokenAt: row.seq };
      prev = row.hash;
      last = row.seq;
    }
    // An empty log is sealed too (at seq 0), so that from the first start on a missing head means tampering.
    if (rows.length === 0 && check.ok && check.head) return check;
    const seal = await keyring.encrypt(sealText(last, prev), SEAL_CONTEXT);
    await writeAuditHead(tx, { seq: last, hash: prev, seal });
    return { ok: true, head: { seq: last, hash: prev, seal } };
  });
}

export type AuditIntegrity =
  | { readonly ok: true; readonly records: number; readonly head: string | null; readonly sealedAt: string | null }
  | {
      readonly ok: false;
      readonly records: number;
      readonly brokenAt: string | null;
      readonly reason: 'tampered' | 'seal-invalid' | 'rewritten' | 'truncated' | 'head-missing';
      readonly message: string;
    };

const MESSAGES = {
  tampered: (at: string | null) => `record ${at} was altered, removed or reordered: its hashes do not match the chain`,
  'seal-invalid': () => 'the sealed chain head does not open under the keyring: it was forged or altered',
  rewritten: (at: string | null) => `the table was rewritten: record ${at} no longer holds the sealed hash`,
  truncated: (at: string | null) => `records up to the sealed head (${at}) were deleted`,
  'head-missing': () => 'the sealed chain head was deleted',
} as const;

/** The whole chain recomputed, and the sealed head checked against it. */
export async function verifyAuditIntegrity(db: Database, keyring: Keyring): Promise<AuditIntegrity> {
  const chain = await verifyAuditChain(db);
  if (!chain.ok) return { ok: false, records: chain.records, brokenAt: chain.brokenAt, reason: 'tampered', message: MESSAGES.tampered(chain.brokenAt) };
  const head = await checkHead(db, keyring);
  if (!head.ok) {
    const brokenAt = head.brokenAt ?? null;
    return { ok: false, records: chain.records, brokenAt, reason: head.reason, message: MESSAGES[head.reason](brokenAt) };
  }
  return { ok: true, records: chain.records, head: chain.head, sealedAt: head.head?.seq ?? null };
}
