import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../src/crypto/keyring.js';
import { masterKeyFromBytes } from '../../src/crypto/master-key.js';
import { rotateKeyring } from '../../src/crypto/rotate-keyring.js';
import { createInProcessChangeBus } from '../../src/state/change-bus.js';
import type { ChangeEvent } from '../../src/state/change-bus.js';
import { createTestDatabase } from './pglite-database.js';
import type { TestDatabase } from './pglite-database.js';

type KeyRow = { id: string; master_key_id: string; active: boolean };

/** `keyring rotate` is one transaction: new data key, re-wrap, audit record and change event. */
describe('rotateKeyring', () => {
  const oldMaster = masterKeyFromBytes(randomBytes(32));
  const newMaster = masterKeyFromBytes(randomBytes(32));
  let failAudit = false;
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase({
      beforeQuery: async (text) => {
        if (failAudit && text.startsWith('INSERT INTO audit_events')) throw new Error('disk full while writing the audit record');
      },
    });
    await Keyring.open(db, [oldMaster]); // a first data key, under the old master key
  });
  afterAll(async () => {
    await db?.close();
  });

  const keyRows = () => db.query<KeyRow>('SELECT id, master_key_id, active FROM data_keys ORDER BY created_at, id');

  it('leaves the keyring as it was when the audit record cannot be written (nothing half-rotated)', async () => {
    const keyring = await Keyring.open(db, [newMaster, oldMaster]);
    const bus = createInProcessChangeBus();
    const events: ChangeEvent[] = [];
    bus.subscribe((event) => events.push(event));
    const before = await keyRows();
    const activeBefore = keyring.activeKeyId;
    failAudit = true;
    try {
      await expect(rotateKeyring({ db, bus, clock: Date.now }, keyring, 'tok_test')).rejects.toThrow('disk full');
    } finally {
      failAudit = false;
    }
    expect(await keyRows()).toEqual(before); // no new data key, nothing re-wrapped
    expect(keyring.activeKeyId).toBe(activeBefore);
    expect(events).toEqual([]);
    expect(await db.query('SELECT 1 FROM audit_events')).toHaveLength(0);
  });

  it('commits the new key, the re-wrap and the audit record together, then announces it', async () => {
    const keyring = await Keyring.open(db, [newMaster, oldMaster]);
    const bus = createInProcessChangeBus();
    const events: ChangeEvent[] = [];
    bus.subscribe((event) => events.push(event));
    const result = await rotateKeyring({ db, bus, clock: Date.now }, keyring, 'tok_test');

    const after = await keyRows();
    expect(after.filter((r) => r.active).map((r) => r.id)).toEqual([result.dataKeyId]);
    expect(after.every((r) => r.master_key_id === newMaster.id)).toBe(true);
    expect(result).toEqual({ dataKeyId: result.dataKeyId, masterKeyId: newMaster.id, rewrapped: 1 });
    expect(keyring.activeKeyId).toBe(result.dataKeyId);
    const audit = await db.query<{ action: string; target: string; detail: unknown }>('SELECT action, target, detail FROM audit_events');
    expect(audit).toEqual([{ action: 'keyring.rotate', target: result.dataKeyId, detail: { rewrapped: 1, masterKeyId: newMaster.id } }]);
    expect(events).toEqual([{ kind: 'keyring' }]);
  });
});
