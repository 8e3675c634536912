import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumer } from '../../src/credentials/consumers.js';
import type { CredentialDeps } from '../../src/credentials/deps.js';
import { createApiKey } from '../../src/credentials/issue-key.js';
import { listApiKeys } from '../../src/credentials/repository.js';
import { revokeApiKey } from '../../src/credentials/revoke-key.js';
import { rotateApiKey } from '../../src/credentials/rotate-key.js';
import { createInProcessChangeBus } from '../../src/state/change-bus.js';
import { openEmbeddedDatabase } from '../../src/store/embedded.js';
import { migrate } from '../../src/store/migrate.js';
import type { Database, Sql } from '../../src/store/sql.js';

/**
 * A crash in the middle of an admin write leaves the old state or the new one, never a half: the
 * audit insert (the last statement of each write) is made to fail, and nothing of the write remains.
 */
let db: Database;
let failAudit = false;
let deps: CredentialDeps;

function failingAudit(tx: Sql): Sql {
  return {
    query(text, params) {
      if (failAudit && text.startsWith('INSERT INTO audit_events')) return Promise.reject(new Error('simulated crash'));
      return tx.query(text, params);
    },
  };
}

beforeAll(async () => {
  const inner = await openEmbeddedDatabase({});
  await migrate(inner);
  db = {
    kind: inner.kind,
    query: (text, params) => inner.query(text, params),
    transaction: (work) => inner.transaction((tx) => work(failingAudit(tx))),
    copyFrom: (table, columns, rows) => inner.copyFrom(table, columns, rows),
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
  deps = { db, bus: createInProcessChangeBus(), clock: () => Date.now(), policy: { maxAge: 90 * 86_400_000, warnAge: 30 * 86_400_000 } };
});
afterAll(async () => db.close());

describe('admin writes are all or nothing', () => {
  it('a failed rotation leaves the old key untouched and no successor', async () => {
    const consumer = await createConsumer(deps, 'test', 'atomic-rotate');
    const { key } = await createApiKey(deps, 'test', consumer.id, { scopes: ['a'], allowedIps: [], allowedOrigins: [] });
    failAudit = true;
    await expect(rotateApiKey(deps, 'test', key.id, 3_600_000)).rejects.toThrow('simulated crash');
    failAudit = false;
    const keys = await listApiKeys(db, consumer.id);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ id: key.id, rotatedTo: null, expiresAt: null, revokedAt: null });
  });

  it('a failed revocation leaves the key active', async () => {
    const consumer = await createConsumer(deps, 'test', 'atomic-revoke');
    const { key } = await createApiKey(deps, 'test', consumer.id, { scopes: [], allowedIps: [], allowedOrigins: [] });
    failAudit = true;
    await expect(revokeApiKey(deps, 'test', key.id)).rejects.toThrow('simulated crash');
    failAudit = false;
    expect((await listApiKeys(db, consumer.id))[0]?.revokedAt).toBeNull();
  });

  it('a failed key creation leaves no key behind', async () => {
    const consumer = await createConsumer(deps, 'test', 'atomic-create');
    failAudit = true;
    await expect(createApiKey(deps, 'test', consumer.id, { scopes: [], allowedIps: [], allowedOrigins: [] })).rejects.toThrow('simulated crash');
    failAudit = false;
    expect(await listApiKeys(db, consumer.id)).toEqual([]);
  });

  it('every successful write is in the hash-chained audit log, each record linked to the one before', async () => {
    const rows = await db.query<{ action: string; prev_hash: Buffer; hash: Buffer }>('SELECT action, prev_hash, hash FROM audit_events ORDER BY seq');
    expect(rows.map((r) => r.action)).toEqual(['consumer.create', 'key.create', 'consumer.create', 'key.create', 'consumer.create']);
    for (let i = 1; i < rows.length; i++) expect(rows[i]?.prev_hash.equals(rows[i - 1]?.hash as Buffer)).toBe(true);
  });
});

describe('rotation terms', () => {
  it("gives the successor the old key's lifetime, counted from the rotation, and ends the grace at the old key's expiry", async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const timed = { ...deps, clock: () => now };
    const consumer = await createConsumer(timed, 'test', 'lifetime');
    const day = 86_400_000;
    const { key } = await createApiKey(timed, 'test', consumer.id, { scopes: [], allowedIps: [], allowedOrigins: [], expiresIn: 30 * day });
    now += 29 * day; // one day left
    const rotated = await rotateApiKey(timed, 'test', key.id, 7 * day);
    expect(rotated.key.expiresAt?.getTime()).toBe(now + 30 * day);
    expect(rotated.graceEndsAt.getTime()).toBe(now + day); // the grace never outlives the old key
  });
});
