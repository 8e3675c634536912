import { randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Database, Sql } from '../store/sql.js';
import { IV_BYTES, KEY_BYTES, TAG_BYTES, decodeBase64url, seal, unseal } from './aead.js';
import {
  findActiveDataKey,
  findDataKey,
  insertFirstActiveDataKey,
  listDataKeyRecords,
  lockDataKeys,
  replaceActiveDataKey,
  updateWrappedDataKey,
} from './data-key-store.js';
import type { DataKeyRecord } from './data-key-store.js';
import { KeyringError } from './errors.js';
import type { MasterKey } from './master-key.js';
import { DATA_KEY_ID, newDataKeyId, toKeyObject, unwrapDataKey, wrapDataKey } from './wrap.js';
import type { WrappingKey } from './wrap.js';

/** Version tag of the ciphertext format: `pcx1.<data key id>.<iv>.<ciphertext>.<tag>`, base64url parts. */
const FORMAT = 'pcx1';

export interface DataKeyInfo {
  id: string;
  masterKeyId: string;
  active: boolean;
  createdAt: Date;
}

/**
 * Envelope encryption for secrets at rest: values are sealed with AES-256-GCM under data keys, and data
 * keys are stored only wrapped by the master key. Encrypting needs no database round trip; decrypting
 * loads an unknown data key once, then serves it from memory.
 */
export class Keyring {
  readonly #db: Database;
  readonly #masters: ReadonlyMap<string, KeyObject>;
  readonly #current: WrappingKey;
  // Bounded by the rows of data_keys (one per rotation); a failed load is not kept.
  readonly #dataKeys = new Map<string, Promise<KeyObject>>();
  #active: WrappingKey;

  private constructor(db: Database, masters: ReadonlyMap<string, KeyObject>, current: WrappingKey, active: WrappingKey) {
    this.#db = db;
    this.#masters = masters;
    this.#current = current;
    this.#active = active;
    this.#dataKeys.set(active.id, Promise.resolve(active.key));
  }

  /**
   * Opens the keyring, creating the first data key when the table is empty. `masterKeys[0]` wraps new
   * data keys; the others only unwrap (master-key rotation). Throws KeyringError 'unknown_master_key'
   * when the active data key is wrapped under none of them.
   */
  static async open(db: Database, masterKeys: readonly MasterKey[]): Promise<Keyring> {
    const masters = new Map<string, KeyObject>();
    for (const master of masterKeys) {
      if (master.key.length !== KEY_BYTES) throw new TypeError(`Master key ${master.id} must be ${KEY_BYTES} bytes.`);
      if (!masters.has(master.id)) masters.set(master.id, toKeyObject(Buffer.from(master.key)));
    }
    const first = masterKeys[0];
    if (first === undefined) throw new TypeError('Keyring.open needs at least one master key.');
    const current: WrappingKey = { id: first.id, key: masters.get(first.id) as KeyObject };
    const record = await ensureActiveDataKey(db, current);
    const active = { id: record.id, key: toKeyObject(unwrapDataKey(record, masters)) };
    return new Keyring(db, masters, current, active);
  }

  /** The data key that new ciphertexts use. */
  get activeKeyId(): string {
    return this.#active.id;
  }

  /** The master key that wraps new (and re-wrapped) data keys. */
  get currentMasterKeyId(): string {
    return this.#current.id;
  }

  /**
   * Seals `plaintext` under the active data key. `context` names the record (e.g. `signing-key:<id>`)
   * and is authenticated, so a ciphertext copied onto another record fails to decrypt.
   */
  async encrypt(plaintext: Buffer | string, context: string): Promise<string> {
    const aad = contextAad(this.#active.id, context);
    const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    const { iv, ciphertext, tag } = seal(this.#active.key, data, aad);
    return [FORMAT, this.#active.id, iv.toString('base64url'), ciphertext.toString('base64url'), tag.toString('base64url')].join('.');
  }

  /** Opens a ciphertext made by any data key in the table. Throws KeyringError, never leaking inputs. */
  async decrypt(ciphertext: string, context: string): Promise<Buffer> {
    const parsed = parse(ciphertext);
    const aad = contextAad(parsed.keyId, context);
    const key = await this.#dataKey(parsed.keyId);
    const plaintext = unseal(key, parsed, aad);
    if (plaintext === undefined) {
      throw new KeyringError('decrypt_failed', 'Ciphertext failed authentication: it was altered or belongs to another context.');
    }
    return plaintext;
  }

  /**
   * Re-seals under the active data key, for callers re-encrypting their records after a rotation.
   * A ciphertext already under the active key is verified and returned unchanged, so callers can
   * skip the write when the result equals the input.
   */
  async reencrypt(ciphertext: string, context: string): Promise<string> {
    const plaintext = await this.decrypt(ciphertext, context);
    try {
      return parse(ciphertext).keyId === this.#active.id ? ciphertext : await this.encrypt(plaintext, context);
    } finally {
      plaintext.fill(0);
    }
  }

  /** Makes a new active data key in one transaction; older ones stay, for decryption. */
  async rotateDataKey(): Promise<{ id: string }> {
    const staged = await this.#db.transaction(async (tx) => {
      await lockDataKeys(tx);
      return this.#stageNewDataKey(tx);
    });
    return { id: staged.activate() };
  }

  /**
   * Re-wraps every data key not yet under the current master key, in one transaction (all or nothing).
   * Master-key rotation: start with `PORTCULLIS_MASTER_KEY=new,old`, rewrap, then drop `old`.
   */
  async rewrapDataKeys(): Promise<{ rewrapped: number }> {
    return this.#db.transaction(async (tx) => {
      await lockDataKeys(tx);
      return { rewrapped: await this.#rewrap(tx) };
    });
  }

  /**
   * `portcullis keyring rotate` inside the caller's transaction `tx`, so that it commits together with
   * its audit record and change event: a new active data key, then every data key re-wrapped under the
   * current master key. This instance switches to the new key only when the caller calls `activate()`
   * after the commit; a rolled-back rotation leaves it on the old one.
   */
  async rotateWithin(tx: Sql): Promise<{ id: string; rewrapped: number; activate: () => string }> {
    await lockDataKeys(tx);
    const staged = await this.#stageNewDataKey(tx);
    return { id: staged.id, rewrapped: await this.#rewrap(tx), activate: staged.activate };
  }

  async #stageNewDataKey(tx: Sql): Promise<{ id: string; activate: () => string }> {
    const id = newDataKeyId();
    const raw = randomBytes(KEY_BYTES);
    const wrapped = wrapDataKey(raw, id, this.#current);
    const key = toKeyObject(raw); // zeroes raw
    await replaceActiveDataKey(tx, id, this.#current.id, wrapped);
    return {
      id,
      activate: () => {
        this.#dataKeys.set(id, Promise.resolve(key));
        this.#active = { id, key };
        return id;
      },
    };
  }

  async #rewrap(tx: Sql): Promise<number> {
    let rewrapped = 0;
    for (const record of await listDataKeyRecords(tx)) {
      if (record.masterKeyId === this.#current.id) continue;
      const raw = unwrapDataKey(record, this.#masters);
      const wrapped = wrapDataKey(raw, record.id, this.#current);
      raw.fill(0);
      await updateWrappedDataKey(tx, record.id, this.#current.id, wrapped);
      rewrapped += 1;
    }
    return rewrapped;
  }

  /**
   * Re-reads the active data key, for an instance told (by a `keyring` change event) that another one
   * rotated. Until then it keeps encrypting under the previous key, which stays readable everywhere.
   */
  async refresh(): Promise<{ id: string }> {
    const record = await findActiveDataKey(this.#db);
    if (record !== undefined && record.id !== this.#active.id) {
      this.#active = { id: record.id, key: await this.#dataKey(record.id) };
    }
    return { id: this.#active.id };
  }

  /** Metadata for `portcullis keyring status`: which master key wraps each data key. No key material. */
  async listDataKeys(): Promise<DataKeyInfo[]> {
    const records = await listDataKeyRecords(this.#db);
    return records.map(({ id, masterKeyId, active, createdAt }) => ({ id, masterKeyId, active, createdAt }));
  }

  #dataKey(id: string): Promise<KeyObject> {
    let pending = this.#dataKeys.get(id);
    if (pending === undefined) {
      pending = this.#loadDataKey(id);
      this.#dataKeys.set(id, pending);
      pending.catch(() => this.#dataKeys.delete(id));
    }
    return pending;
  }

  async #loadDataKey(id: string): Promise<KeyObject> {
    const record = await findDataKey(this.#db, id);
    if (record === undefined) throw new KeyringError('unknown_key', `Ciphertext names data key ${id}, which is not in the keyring.`);
    return toKeyObject(unwrapDataKey(record, this.#masters));
  }
}

/**
 * Returns the active data key, creating the first one when there is none. Two instances starting on
 * an empty table may race: the unique index lets one insert win, and the loser re-reads its row.
 */
async function ensureActiveDataKey(db: Database, current: WrappingKey): Promise<DataKeyRecord> {
  const found = await db.transaction(async (tx: Sql) => {
    const existing = await findActiveDataKey(tx);
    if (existing !== undefined) return existing;
    const id = newDataKeyId();
    const raw = randomBytes(KEY_BYTES);
    const wrapped = wrapDataKey(raw, id, current);
    raw.fill(0);
    const inserted = await insertFirstActiveDataKey(tx, id, current.id, wrapped);
    return inserted ? { id, masterKeyId: current.id, wrapped, active: true, createdAt: new Date() } : undefined;
  });
  // Re-read after the transaction so the winner's committed row is visible whatever the isolation level.
  const record = found ?? (await findActiveDataKey(db));
  if (record === undefined) throw new Error('data_keys has no active row right after one was inserted.');
  return record;
}

/** The header is authenticated with the context so the format version and key id cannot be swapped. */
function contextAad(keyId: string, context: string): Buffer {
  if (typeof context !== 'string' || context === '') throw new TypeError('An encryption context is required.');
  return Buffer.from(`${FORMAT}.${keyId}.${context}`, 'utf8');
}

function parse(text: string): { keyId: string; iv: Buffer; ciphertext: Buffer; tag: Buffer } {
  const parts = typeof text === 'string' ? text.split('.') : [];
  const [format, keyId, iv, ciphertext, tag] = parts.length === 5 ? parts : [];
  const fields = {
    keyId: format === FORMAT && keyId !== undefined && DATA_KEY_ID.test(keyId) ? keyId : undefined,
    iv: iv === undefined ? undefined : decodeBase64url(iv),
    ciphertext: ciphertext === undefined ? undefined : decodeBase64url(ciphertext),
    tag: tag === undefined ? undefined : decodeBase64url(tag),
  };
  if (
    fields.keyId === undefined ||
    fields.iv?.length !== IV_BYTES ||
    fields.ciphertext === undefined ||
    fields.tag?.length !== TAG_BYTES
  ) {
    throw new KeyringError('malformed', `Not a ${FORMAT} ciphertext.`);
  }
  return { keyId: fields.keyId, iv: fields.iv, ciphertext: fields.ciphertext, tag: fields.tag };
}
