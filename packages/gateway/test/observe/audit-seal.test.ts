import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { auditHash } from '../../src/observe/audit.js';
import type { AuditRow } from '../../src/observe/audit.js';
import { sealAuditHead, verifyAuditIntegrity } from '../../src/observe/audit-seal.js';
import { expectProblem, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway } from '../helpers/gateway.js';

let t: CredentialGateway;
let consumers: string[];
const GENESIS = Buffer.alloc(32);

/** What an attacker with write access to the database (but not the master key) can do: recompute every hash. */
async function rewriteWholeTable(change: (row: AuditRow) => Record<string, unknown>): Promise<void> {
  const rows = await t.gateway.db.query<AuditRow>('SELECT * FROM audit_events ORDER BY seq');
  let prev: Buffer = GENESIS;
  for (const row of rows) {
    const detail = change(row);
    const hash = auditHash(prev, row.at, { actor: row.actor, action: row.action, ...(row.target === null ? {} : { target: row.target }) }, detail);
    await t.gateway.db.query('UPDATE audit_events SET detail = $2, prev_hash = $3, hash = $4 WHERE seq = $1', [row.seq, JSON.stringify(detail), prev, hash]);
    prev = hash;
  }
}

let snapshot: AuditRow[];
let headSnapshot: Record<string, unknown>[];

beforeAll(async () => {
  t = await startCredentialGateway();
  consumers = [await t.createConsumer('acme'), await t.createConsumer('globex')];
  await t.createKey({ consumerId: consumers[0], scopes: ['companies:read'] });
  await t.gateway.operations.seal();
  snapshot = await t.gateway.db.query<AuditRow>('SELECT * FROM audit_events ORDER BY seq');
  headSnapshot = await t.gateway.db.query('SELECT * FROM audit_head');
});
afterAll(() => t.stop());

/** Each test starts from the intact, sealed log. */
beforeEach(async () => {
  for (const row of snapshot) {
    await t.gateway.db.query('UPDATE audit_events SET detail = $2, prev_hash = $3, hash = $4 WHERE seq = $1', [row.seq, JSON.stringify(row.detail), row.prev_hash, row.hash]);
  }
  await t.gateway.db.query('DELETE FROM audit_head');
  for (const h of headSnapshot) await t.gateway.db.query('INSERT INTO audit_head (one, seq, hash, seal) VALUES (true, $1, $2, $3)', [h.seq, h.hash, h.seal]);
});

describe('GET /admin/v1/audit', () => {
  it('lists events newest first, filters by action family, target and actor, and pages with a cursor', async () => {
    const all = (await t.admin('GET', '/admin/v1/audit')).json() as { events: { seq: string; action: string; target: string; actor: string; hash: string }[]; nextCursor: null };
    expect(all.events.map((e) => e.action)).toEqual(['key.create', 'consumer.create', 'consumer.create']);
    expect(all.events[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
    const consumerEvents = (await t.admin('GET', '/admin/v1/audit?action=consumer.*')).json() as { events: { target: string }[] };
    expect(consumerEvents.events.map((e) => e.target)).toEqual([consumers[1], consumers[0]]);
    const byTarget = (await t.admin('GET', `/admin/v1/audit?target=${consumers[0]}`)).json() as { events: unknown[] };
    expect(byTarget.events).toHaveLength(1);
    const byActor = (await t.admin('GET', `/admin/v1/audit?actor=${all.events[0]?.actor}&limit=2`)).json() as { events: { seq: string }[]; nextCursor: string };
    expect(byActor.events.map((e) => e.seq)).toEqual(all.events.slice(0, 2).map((e) => e.seq));
    const rest = (await t.admin('GET', `/admin/v1/audit?limit=2&cursor=${byActor.nextCursor}`)).json() as { events: { seq: string }[]; nextCursor: null };
    expect(rest.events.map((e) => e.seq)).toEqual([all.events[2]?.seq]);
    expect(rest.nextCursor).toBeNull();
  });

  it('exports JSON lines, and refuses a malformed filter', async () => {
    const reply = await t.admin('GET', '/admin/v1/audit?format=jsonl');
    expect(reply.headers['content-type']).toBe('application/jsonl');
    expect(reply.text.trim().split('\n').map((l) => (JSON.parse(l) as { action: string }).action)).toEqual(['key.create', 'consumer.create', 'consumer.create']);
    expect(expectProblem(await t.admin('GET', "/admin/v1/audit?action=DROP'"), 400, 'bad-request').detail).toContain('"action"');
  });
});

describe('audit integrity', () => {
  it('verifies an intact, sealed chain', async () => {
    const result = await verifyAuditIntegrity(t.gateway.db, t.gateway.keyring);
    expect(result).toMatchObject({ ok: true, records: 3, sealedAt: snapshot.at(-1)?.seq });
  });

  it('names a tampered row', async () => {
    await t.gateway.db.query(`UPDATE audit_events SET detail = '{"name":"mallory"}' WHERE seq = $1`, [snapshot[1]?.seq]);
    expect(await verifyAuditIntegrity(t.gateway.db, t.gateway.keyring)).toMatchObject({ ok: false, reason: 'tampered', brokenAt: snapshot[1]?.seq });
  });

  it('catches a rewrite of the whole table with consistent hashes, and will not seal over it', async () => {
    await rewriteWholeTable((row) => (row.action === 'consumer.create' && row.detail.name === 'acme' ? { name: 'mallory' } : row.detail));
    const result = await verifyAuditIntegrity(t.gateway.db, t.gateway.keyring);
    expect(result).toMatchObject({ ok: false, reason: 'rewritten', brokenAt: snapshot.at(-1)?.seq });
    expect(await sealAuditHead(t.gateway.db, t.gateway.keyring)).toMatchObject({ ok: false, reason: 'rewritten' });
  });

  it('catches a forged head and a deleted head, and will not seal over a deleted head', async () => {
    await t.gateway.db.query('UPDATE audit_head SET hash = $1', [Buffer.alloc(32, 7)]);
    expect(await verifyAuditIntegrity(t.gateway.db, t.gateway.keyring)).toMatchObject({ ok: false, reason: 'seal-invalid' });
    await t.gateway.db.query('DELETE FROM audit_head');
    expect(await verifyAuditIntegrity(t.gateway.db, t.gateway.keyring)).toMatchObject({ ok: false, reason: 'head-missing' });
    expect(await sealAuditHead(t.gateway.db, t.gateway.keyring)).toMatchObject({ ok: false, reason: 'head-missing' });
  });

  it('seals new records as they are appended', async () => {
    const consumer = await t.createConsumer('initech');
    expect(await sealAuditHead(t.gateway.db, t.gateway.keyring)).toMatchObject({ ok: true });
    const [last] = await t.gateway.db.query<{ seq: string }>('SELECT max(seq)::text AS seq FROM audit_events');
    expect(await verifyAuditIntegrity(t.gateway.db, t.gateway.keyring)).toMatchObject({ ok: true, sealedAt: last?.seq });
    // Restore the snapshot shape for the tests after this one.
    await t.gateway.db.query("DELETE FROM audit_events WHERE target = $1 AND action = 'consumer.create'", [consumer]);
    await t.gateway.db.query('DELETE FROM consumers WHERE id = $1', [consumer]);
  });

  it('portcullis audit verify names a rewritten table and exits 3', async () => {
    await rewriteWholeTable((row) => ({ ...row.detail, note: 'rewritten' }));
    const config = join(t.dataDir, 'portcullis.yaml');
    writeFileSync(config, `dataDir: ${t.dataDir}\n`);
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
    let code: number;
    try {
      code = await main(['node', 'portcullis', 'audit', 'verify', '--config', config, '--admin-url', t.gateway.adminUrl]);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(3);
    expect(out).toContain(`AUDIT LOG BROKEN: the table was rewritten: record ${snapshot.at(-1)?.seq} no longer holds the sealed hash`);
  });
});
