import { createDecipheriv, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeyringError } from '../../src/crypto/errors.js';
import { Keyring } from '../../src/crypto/keyring.js';
import { masterKeyFromBytes } from '../../src/crypto/master-key.js';
import type { MasterKey } from '../../src/crypto/master-key.js';
import { createTestDatabase } from './pglite-database.js';
import type { TestDatabase } from './pglite-database.js';

type WrappedRow = { id: string; master_key_id: string; wrapped: Uint8Array; active: boolean };

const newMaster = (): MasterKey => masterKeyFromBytes(randomBytes(32));

let db: TestDatabase;
// One PGlite per file (starting one takes seconds); each test starts from an empty table.
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.close();
});
beforeEach(async () => {
  await db.query('TRUNCATE data_keys');
});

async function rows(): Promise<WrappedRow[]> {
  return db.query<WrappedRow>('SELECT id, master_key_id, wrapped, active FROM data_keys ORDER BY created_at, id');
}

/** Unwraps by the documented layout, independently of the keyring (a format vector). */
function unwrapByHand(row: WrappedRow, master: MasterKey): Buffer {
  const wrapped = Buffer.from(row.wrapped);
  const decipher = createDecipheriv('aes-256-gcm', master.key, wrapped.subarray(0, 12), { authTagLength: 16 });
  decipher.setAAD(Buffer.from(`pcdk1.${row.id}.${row.master_key_id}`));
  decipher.setAuthTag(wrapped.subarray(44));
  return Buffer.concat([decipher.update(wrapped.subarray(12, 44)), decipher.final()]);
}

async function openError(masterKeys: MasterKey[]): Promise<KeyringError> {
  const error: unknown = await Keyring.open(db, masterKeys).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(KeyringError);
  return error as KeyringError;
}

describe('data keys at rest', () => {
  it('stores only wrapped keys, in the documented layout, and never the raw key', async () => {
    const master = newMaster();
    const keyring = await Keyring.open(db, [master]);
    const ciphertext = await keyring.encrypt('hello', 'ctx');
    const [row] = await rows();
    if (row === undefined) throw new Error('no data key row');
    expect(row.master_key_id).toBe(master.id);
    expect(row.wrapped.length).toBe(60);

    const raw = unwrapByHand(row, master);
    expect(raw.length).toBe(32);
    expect(Buffer.from(row.wrapped).includes(raw)).toBe(false);
    expect(Buffer.from(row.wrapped).equals(raw)).toBe(false);

    // The raw key opens the ciphertext by the documented format: AAD = "pcx1.<key id>.<context>".
    const [, keyId, iv, body, tag] = ciphertext.split('.') as [string, string, string, string, string];
    const decipher = createDecipheriv('aes-256-gcm', raw, Buffer.from(iv, 'base64url'), { authTagLength: 16 });
    decipher.setAAD(Buffer.from(`pcx1.${keyId}.ctx`));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    expect(Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString()).toBe('hello');
  });

  it('keeps master key material out of logs and JSON', () => {
    const master = newMaster();
    expect(JSON.stringify(master)).not.toContain(master.key.toString('base64'));
    expect(Object.keys(master)).toEqual(['id']);
    expect(master.id).toMatch(/^mk_[0-9a-f]{16}$/);
    expect(masterKeyFromBytes(Buffer.from(master.key)).id).toBe(master.id);
  });
});

describe('master key rotation', () => {
  it('rewraps every data key under the new master key; the old one can then be dropped', async () => {
    const oldMaster = newMaster();
    const newMasterKey = newMaster();
    const first = await Keyring.open(db, [oldMaster]);
    const a = await first.encrypt('record a', 'ctx:a');
    await first.rotateDataKey();
    const b = await first.encrypt('record b', 'ctx:b');

    const during = await Keyring.open(db, [newMasterKey, oldMaster]);
    expect(await during.decrypt(a, 'ctx:a')).toEqual(Buffer.from('record a'));
    expect(await during.rewrapDataKeys()).toEqual({ rewrapped: 2 });
    expect((await rows()).map((row) => row.master_key_id)).toEqual([newMasterKey.id, newMasterKey.id]);
    expect(await during.rewrapDataKeys()).toEqual({ rewrapped: 0 });

    const after = await Keyring.open(db, [newMasterKey]);
    expect((await after.decrypt(a, 'ctx:a')).toString()).toBe('record a');
    expect((await after.decrypt(b, 'ctx:b')).toString()).toBe('record b');
    expect((await openError([oldMaster])).code).toBe('unknown_master_key');
  });

  it('rewraps all or nothing: a key under an unconfigured master key leaves every row as it was', async () => {
    const [a, c, b] = [newMaster(), newMaster(), newMaster()];
    await Keyring.open(db, [a]);
    await (await Keyring.open(db, [c, a])).rotateDataKey(); // first key under a, active under c
    const before = await rows();

    const keyring = await Keyring.open(db, [b, c]);
    const error: unknown = await keyring.rewrapDataKeys().catch((caught: unknown) => caught);
    expect((error as KeyringError).code).toBe('unknown_master_key');
    expect(await rows()).toEqual(before);
  });

  it('refuses to open with only a wrong master key, without naming key material', async () => {
    const right = newMaster();
    await Keyring.open(db, [right]);
    const wrong = newMaster();
    const error = await openError([wrong]);
    expect(error.code).toBe('unknown_master_key');
    for (const key of [right, wrong]) {
      expect(error.message).not.toContain(key.key.toString('base64'));
      expect(error.message).not.toContain(key.key.toString('hex'));
    }
  });

  it('refuses a wrapped key that was altered in the table', async () => {
    const master = newMaster();
    await Keyring.open(db, [master]);
    const [row] = await rows();
    const tampered = Buffer.from(row?.wrapped ?? []);
    tampered[20] = (tampered[20] as number) ^ 0x80;
    await db.query('UPDATE data_keys SET wrapped = $1', [tampered]);
    expect((await openError([master])).code).toBe('unwrap_failed');
  });

  it('refuses a wrapped key moved onto another row', async () => {
    const master = newMaster();
    const keyring = await Keyring.open(db, [master]);
    const old = await keyring.encrypt('x', 'ctx');
    await keyring.rotateDataKey();
    const [first, second] = await rows();
    await db.query('UPDATE data_keys SET wrapped = $1 WHERE id = $2', [first?.wrapped, second?.id]);
    await db.query('UPDATE data_keys SET wrapped = $1 WHERE id = $2', [second?.wrapped, first?.id]);
    expect((await openError([master])).code).toBe('unwrap_failed');
    // The running keyring keeps the keys it already holds: a swap in the table cannot change them.
    expect((await keyring.decrypt(old, 'ctx')).toString()).toBe('x');
  });
});

describe('Keyring.open', () => {
  it('ends with exactly one active data key when instances start at once', async () => {
    const master = newMaster();
    const keyrings = await Promise.all(Array.from({ length: 6 }, () => Keyring.open(db, [master])));
    const all = await rows();
    expect(all).toHaveLength(1);
    expect(all[0]?.active).toBe(true);
    expect(new Set(keyrings.map((keyring) => keyring.activeKeyId))).toEqual(new Set([all[0]?.id]));
  });

  it('adopts the key of a creator that committed between its read and its insert', async () => {
    const master = newMaster();
    // The racing instance: a real data key made elsewhere, inserted at the worst moment.
    const racer = await Keyring.open(db, [master]);
    const sealed = await racer.encrypt('from the racer', 'ctx');
    const [racerRow] = await rows();

    let raced = false;
    const racy = await createTestDatabase({
      beforeQuery: async (text, sql) => {
        if (raced || !text.startsWith('INSERT INTO data_keys')) return;
        raced = true;
        await sql.query('INSERT INTO data_keys (id, master_key_id, wrapped, active) VALUES ($1, $2, $3, true)', [
          racerRow?.id,
          racerRow?.master_key_id,
          racerRow?.wrapped,
        ]);
      },
    });
    try {
      const keyring = await Keyring.open(racy, [master]);
      expect(raced).toBe(true);
      expect(keyring.activeKeyId).toBe(racerRow?.id);
      expect(await racy.query('SELECT id FROM data_keys')).toHaveLength(1);
      expect((await keyring.decrypt(sealed, 'ctx')).toString()).toBe('from the racer');
    } finally {
      await racy.close();
    }
  });

  it('treats missing or malformed master keys as misuse', async () => {
    await expect(Keyring.open(db, [])).rejects.toBeInstanceOf(TypeError);
    await expect(Keyring.open(db, [{ id: 'mk_x', key: Buffer.alloc(16) }])).rejects.toBeInstanceOf(TypeError);
  });
});
