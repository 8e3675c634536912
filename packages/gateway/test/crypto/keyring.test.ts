import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeyringError } from '../../src/crypto/errors.js';
import type { KeyringErrorCode } from '../../src/crypto/errors.js';
import { Keyring } from '../../src/crypto/keyring.js';
import { masterKeyFromBytes } from '../../src/crypto/master-key.js';
import { createTestDatabase } from './pglite-database.js';
import type { TestDatabase } from './pglite-database.js';

const FORMAT = /^pcx1\.(dk_[0-9a-f]{16})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]{22})$/;
const SECRET = 'correct horse battery staple';
const CONTEXT = 'signing-key:sk_1';

/** Rejects with a KeyringError of `code`, and no message reveals the plaintext. */
async function expectKeyringError(promise: Promise<unknown>, code: KeyringErrorCode): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(KeyringError);
  expect((error as KeyringError).code).toBe(code);
  expect(String((error as Error).stack)).not.toContain(SECRET);
}

/** Flips one bit of one base64url part (1 = key id, 2 = iv, 3 = ciphertext, 4 = tag). */
function flipBit(ciphertext: string, part: number, byte = 0): string {
  const parts = ciphertext.split('.');
  const bytes = Buffer.from(parts[part] as string, 'base64url');
  bytes[byte] = (bytes[byte] as number) ^ 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

let db: TestDatabase;
let keyring: Keyring;
const master = masterKeyFromBytes(randomBytes(32));

// One PGlite per file (starting one takes seconds); each test starts from an empty table.
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.close();
});
beforeEach(async () => {
  await db.query('TRUNCATE data_keys');
  keyring = await Keyring.open(db, [master]);
});

describe('encrypt / decrypt', () => {
  it('round-trips strings, buffers and empty values', async () => {
    const text = await keyring.encrypt(SECRET, CONTEXT);
    expect((await keyring.decrypt(text, CONTEXT)).toString('utf8')).toBe(SECRET);
    const bytes = randomBytes(1000);
    expect(await keyring.decrypt(await keyring.encrypt(bytes, CONTEXT), CONTEXT)).toEqual(bytes);
    expect((await keyring.decrypt(await keyring.encrypt('', CONTEXT), CONTEXT)).length).toBe(0);
  });

  it('writes a self-describing pcx1 string naming the active data key', async () => {
    const text = await keyring.encrypt(SECRET, CONTEXT);
    const match = FORMAT.exec(text);
    expect(match?.[1]).toBe(keyring.activeKeyId);
    expect(text).not.toContain(Buffer.from(SECRET).toString('base64url'));
  });

  it('uses a fresh IV every time', async () => {
    const ivs = new Set<string>();
    for (let i = 0; i < 50; i += 1) ivs.add((await keyring.encrypt(SECRET, CONTEXT)).split('.')[2] as string);
    expect(ivs.size).toBe(50);
  });

  it('fails with decrypt_failed when the ciphertext, tag or IV is altered', async () => {
    const text = await keyring.encrypt(SECRET, CONTEXT);
    await expectKeyringError(keyring.decrypt(flipBit(text, 3, 5), CONTEXT), 'decrypt_failed');
    await expectKeyringError(keyring.decrypt(flipBit(text, 4, 15), CONTEXT), 'decrypt_failed');
    await expectKeyringError(keyring.decrypt(flipBit(text, 2, 11), CONTEXT), 'decrypt_failed');
  });

  it('fails with decrypt_failed in another context (a ciphertext cannot move to another record)', async () => {
    const text = await keyring.encrypt(SECRET, 'signing-key:sk_1');
    await expectKeyringError(keyring.decrypt(text, 'signing-key:sk_2'), 'decrypt_failed');
    await expectKeyringError(keyring.decrypt(text, 'totp:sk_1'), 'decrypt_failed');
  });

  it('fails with unknown_key for a data key that is not in the table', async () => {
    const text = (await keyring.encrypt(SECRET, CONTEXT)).replace(/dk_[0-9a-f]{16}/, 'dk_0000000000000000');
    await expectKeyringError(keyring.decrypt(text, CONTEXT), 'unknown_key');
  });

  it('fails with malformed for anything that is not a canonical pcx1 string', async () => {
    const text = await keyring.encrypt(SECRET, CONTEXT);
    const parts = text.split('.');
    const shortTag = [...parts.slice(0, 4), Buffer.from(parts[4] as string, 'base64url').subarray(0, 12).toString('base64url')];
    // 22 base64url characters carry 4 spare bits: node would decode this edited tag to the same bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const tag = parts[4] as string;
    const nonCanonical = [...parts.slice(0, 4), tag.slice(0, -1) + alphabet[alphabet.indexOf(tag.at(-1) as string) + 1]];
    expect(Buffer.from(nonCanonical[4] as string, 'base64url')).toEqual(Buffer.from(tag, 'base64url'));
    for (const bad of [
      '',
      SECRET,
      text.replace('pcx1', 'pcx2'),
      parts.slice(0, 4).join('.'),
      `${text}.extra`,
      shortTag.join('.'),
      text.replace(keyring.activeKeyId, 'dk_../../etc'),
      [...parts.slice(0, 3), `${parts[3]}!`, parts[4]].join('.'),
      nonCanonical.join('.'),
    ]) {
      await expectKeyringError(keyring.decrypt(bad, CONTEXT), 'malformed');
    }
  });

  it('treats a missing context as misuse, not bad input', async () => {
    await expect(keyring.encrypt(SECRET, '')).rejects.toBeInstanceOf(TypeError);
  });
});

describe('data key rotation', () => {
  it('keeps old ciphertexts readable and seals new ones under the new key', async () => {
    const before = await keyring.encrypt('old secret', CONTEXT);
    const oldId = keyring.activeKeyId;
    const { id } = await keyring.rotateDataKey();
    expect(id).not.toBe(oldId);
    expect(keyring.activeKeyId).toBe(id);
    const after = await keyring.encrypt('new secret', CONTEXT);
    expect(FORMAT.exec(before)?.[1]).toBe(oldId);
    expect(FORMAT.exec(after)?.[1]).toBe(id);
    expect((await keyring.decrypt(before, CONTEXT)).toString()).toBe('old secret');
    expect((await keyring.decrypt(after, CONTEXT)).toString()).toBe('new secret');

    const rows = await db.query<{ id: string; active: boolean }>('SELECT id, active FROM data_keys');
    expect(rows).toHaveLength(2);
    expect(rows.filter((row) => row.active).map((row) => row.id)).toEqual([id]);
  });

  it('lets another instance load old data keys on demand and pick up the new active key', async () => {
    const before = await keyring.encrypt('old secret', CONTEXT);
    const other = await Keyring.open(db, [master]);
    const { id } = await keyring.rotateDataKey();
    expect(other.activeKeyId).not.toBe(id);
    expect(await other.refresh()).toEqual({ id });
    expect(FORMAT.exec(await other.encrypt('x', CONTEXT))?.[1]).toBe(id);

    const fresh = await Keyring.open(db, [master]);
    expect(fresh.activeKeyId).toBe(id);
    expect((await fresh.decrypt(before, CONTEXT)).toString()).toBe('old secret');
  });

  it('reencrypt moves a record to the active key and keeps its context binding', async () => {
    const before = await keyring.encrypt(SECRET, CONTEXT);
    const { id } = await keyring.rotateDataKey();
    const after = await keyring.reencrypt(before, CONTEXT);
    expect(FORMAT.exec(after)?.[1]).toBe(id);
    expect((await keyring.decrypt(after, CONTEXT)).toString()).toBe(SECRET);
    await expectKeyringError(keyring.decrypt(after, 'other'), 'decrypt_failed');
    await expectKeyringError(keyring.reencrypt(before, 'other'), 'decrypt_failed');
    expect(await keyring.reencrypt(after, CONTEXT)).toBe(after);
  });

  it('lists data keys without key material', async () => {
    await keyring.rotateDataKey();
    const keys = await keyring.listDataKeys();
    expect(keys).toHaveLength(2);
    expect(keys.filter((key) => key.active)).toHaveLength(1);
    expect(keys.every((key) => key.masterKeyId === master.id)).toBe(true);
    expect(Object.keys(keys[0] ?? {}).sort()).toEqual(['active', 'createdAt', 'id', 'masterKeyId']);
  });
});
