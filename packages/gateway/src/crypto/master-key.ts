import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/atomic-file.js';
import { KEY_BYTES } from './aead.js';
import { KeyringError } from './errors.js';

/** A key-encryption key. `key` is non-enumerable, so logging or JSON-encoding a MasterKey omits it. */
export interface MasterKey {
  /** Derived from the key, not secret: stable across restarts, stored beside each wrapped data key. */
  readonly id: string;
  readonly key: Buffer;
}

export interface LoadMasterKeysOptions {
  env: NodeJS.ProcessEnv;
  dataDir: string;
  /** Embedded mode: create `<dataDir>/master.key` on first start when no key is configured. */
  allowCreate: boolean;
}

export interface LoadedMasterKeys {
  /** First = current (wraps new data keys); the rest may only unwrap, for master-key rotation. */
  keys: MasterKey[];
  source: 'env' | 'file';
  /** The key file read, when source is 'file'. */
  path?: string;
  /** Path of a key file created by this call (worth a log line: back it up). */
  created?: string;
}

export const MASTER_KEY_ENV = 'PORTCULLIS_MASTER_KEY';
export const MASTER_KEY_FILE_ENV = 'PORTCULLIS_MASTER_KEY_FILE';
export const DEFAULT_KEY_FILE = 'master.key';

const EXPECTED = `expected base64 (or base64url) of exactly ${KEY_BYTES} bytes, e.g. from \`openssl rand -base64 ${KEY_BYTES}\``;
const BASE64ISH = /^[A-Za-z0-9+/_-]+={0,2}$/;
// A key file holds a few 44-character keys; anything far larger is the wrong file.
const MAX_KEY_FILE_BYTES = 64 * 1024;
const ID_LABEL = 'portcullis master key id';

/**
 * Loads the master keys from `PORTCULLIS_MASTER_KEY`, `PORTCULLIS_MASTER_KEY_FILE`, or (embedded mode)
 * `<dataDir>/master.key`, created on first start. Throws a KeyringError that says what to fix.
 */
export async function loadMasterKeys(options: LoadMasterKeysOptions): Promise<LoadedMasterKeys> {
  const { env, dataDir, allowCreate } = options;
  const inline = env[MASTER_KEY_ENV];
  const file = env[MASTER_KEY_FILE_ENV];
  if (inline !== undefined && file !== undefined) {
    throw new KeyringError('master_key_invalid', `Set ${MASTER_KEY_ENV} or ${MASTER_KEY_FILE_ENV}, not both.`);
  }
  if (inline !== undefined) return { keys: parseMasterKeys(inline, MASTER_KEY_ENV), source: 'env' };
  if (file !== undefined) {
    if (file.trim() === '') {
      throw new KeyringError('master_key_invalid', `${MASTER_KEY_FILE_ENV} is empty; expected the path of a key file.`);
    }
    return { keys: await readKeyFile(file), source: 'file', path: file };
  }
  if (!allowCreate) {
    throw new KeyringError(
      'master_key_missing',
      `No master key: set ${MASTER_KEY_ENV} (${EXPECTED}) or ${MASTER_KEY_FILE_ENV} (a file holding one, mode 0600). ` +
        'Every instance sharing a database needs the same key.',
    );
  }
  const path = join(dataDir, DEFAULT_KEY_FILE);
  const created = (await exists(path)) ? false : await createKeyFile(dataDir, path);
  const keys = await readKeyFile(path);
  return created ? { keys, source: 'file', path, created: path } : { keys, source: 'file', path };
}

/** Wraps raw key bytes as a MasterKey (also the seam for a KMS-backed loader). */
export function masterKeyFromBytes(key: Buffer): MasterKey {
  if (key.length !== KEY_BYTES) throw new TypeError(`A master key must be ${KEY_BYTES} bytes.`);
  const id = 'mk_' + createHmac('sha256', key).update(ID_LABEL).digest().subarray(0, 8).toString('hex');
  const masterKey = { id } as MasterKey;
  Object.defineProperty(masterKey, 'key', { value: key, enumerable: false });
  return Object.freeze(masterKey);
}

/** Comma- or whitespace-separated keys; the messages never echo an entry, only its position. */
export function parseMasterKeys(text: string, origin: string): MasterKey[] {
  const entries = text.split(/[\s,]+/).filter((entry) => entry !== '');
  if (entries.length === 0) {
    throw new KeyringError('master_key_invalid', `${origin} holds no key; ${EXPECTED}.`);
  }
  const keys = new Map<string, MasterKey>();
  entries.forEach((entry, index) => {
    const bytes = BASE64ISH.test(entry) ? Buffer.from(entry, 'base64') : undefined;
    if (bytes?.length !== KEY_BYTES) {
      const got = bytes === undefined ? 'not base64' : `decodes to ${bytes.length} bytes`;
      const which = entries.length > 1 ? `key ${index + 1} of ${entries.length} in ${origin}` : `the key in ${origin}`;
      throw new KeyringError('master_key_invalid', `Invalid master key: ${which} ${got}; ${EXPECTED}.`);
    }
    const key = masterKeyFromBytes(bytes);
    // A repeated key is harmless; keep its first (most current) position.
    if (!keys.has(key.id)) keys.set(key.id, key);
  });
  return [...keys.values()];
}

async function readKeyFile(path: string): Promise<MasterKey[]> {
  // Stat the opened handle, not the path, so the checked file is the file read.
  const handle = await open(path, 'r').catch((error: unknown) => {
    throw new KeyringError('master_key_missing', `Cannot open master key file ${path}: ${errorCode(error)}.`);
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new KeyringError('master_key_insecure', `Master key file ${path} is not a regular file.`);
    }
    // POSIX modes do not exist on Windows; there the directory ACL protects the file.
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
      throw new KeyringError(
        'master_key_insecure',
        `Master key file ${path} is accessible by group or others (mode ${mode}); it must be readable by its owner only. ` +
          `Fix: chmod 600 ${path} (for a Docker or Kubernetes secret, mount it with mode 0400).`,
      );
    }
    if (info.size > MAX_KEY_FILE_BYTES) {
      throw new KeyringError('master_key_invalid', `Master key file ${path} is too large to be a key file; ${EXPECTED}.`);
    }
    return parseMasterKeys(await handle.readFile('utf8'), path);
  } finally {
    await handle.close();
  }
}

/**
 * Writes a fresh key to a 0600 temp file, then links it into place. link() fails if the name exists,
 * so two instances starting at once cannot overwrite each other's key (rename would, silently).
 */
async function createKeyFile(dataDir: string, path: string): Promise<boolean> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  const encoded = Buffer.from(`${key.toString('base64')}\n`);
  key.fill(0);
  try {
    if (!(await writeFileAtomic(path, encoded, { mode: 0o600, exclusive: true }))) return false;
  } finally {
    encoded.fill(0);
  }
  await syncDirectory(dataDir);
  return true;
}

// Losing the key file loses every secret, so make its directory entry durable too (best effort:
// not every platform can fsync a directory).
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Ignored on purpose; see above.
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown error';
}
