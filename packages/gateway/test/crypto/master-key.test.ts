import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyringError } from '../../src/crypto/errors.js';
import type { KeyringErrorCode } from '../../src/crypto/errors.js';
import { loadMasterKeys, masterKeyFromBytes } from '../../src/crypto/master-key.js';

const posix = process.platform !== 'win32';
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portcullis-mk-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function loadError(env: NodeJS.ProcessEnv, allowCreate = false): Promise<KeyringError> {
  const error: unknown = await loadMasterKeys({ env, dataDir: dir, allowCreate }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(KeyringError);
  return error as KeyringError;
}

function expectNoKeyMaterial(error: KeyringError, secrets: string[]): void {
  for (const secret of secrets) {
    expect(error.message).not.toContain(secret);
    expect(String(error.stack)).not.toContain(secret);
  }
}

describe('PORTCULLIS_MASTER_KEY', () => {
  it('accepts base64 and base64url; the first key is current and ids are derived', async () => {
    const current = randomBytes(32);
    const older = randomBytes(32);
    const value = `${current.toString('base64')}, ${older.toString('base64url')}`;
    const { keys, source, created } = await loadMasterKeys({ env: { PORTCULLIS_MASTER_KEY: value }, dataDir: dir, allowCreate: true });
    expect(source).toBe('env');
    expect(created).toBeUndefined();
    expect(keys.map((key) => key.key)).toEqual([current, older]);
    expect(keys.map((key) => key.id)).toEqual([masterKeyFromBytes(current).id, masterKeyFromBytes(older).id]);
    expect(await readdir(dir)).toEqual([]);
  });

  it.each<[string, string]>([
    ['16 bytes', randomBytes(16).toString('base64')],
    ['33 bytes', randomBytes(33).toString('base64')],
    ['hex instead of base64', randomBytes(32).toString('hex')],
    ['not base64', `${randomBytes(30).toString('base64')}!!`],
  ])('refuses a key of %s without printing it', async (_label, bad) => {
    const good = randomBytes(32).toString('base64');
    for (const value of [bad, `${good},${bad}`]) {
      const error = await loadError({ PORTCULLIS_MASTER_KEY: value });
      expect(error.code).toBe<KeyringErrorCode>('master_key_invalid');
      expect(error.message).toContain('32 bytes');
      expectNoKeyMaterial(error, [bad, good, value]);
    }
  });

  it('refuses an empty value rather than silently creating a key file', async () => {
    expect((await loadError({ PORTCULLIS_MASTER_KEY: ' ' }, true)).code).toBe('master_key_invalid');
  });

  it('refuses both variables at once', async () => {
    const error = await loadError({ PORTCULLIS_MASTER_KEY: randomBytes(32).toString('base64'), PORTCULLIS_MASTER_KEY_FILE: '/x' });
    expect(error.code).toBe('master_key_invalid');
  });

  it('says what to set when no key is configured and none may be created', async () => {
    const error = await loadError({});
    expect(error.code).toBe('master_key_missing');
    expect(error.message).toContain('PORTCULLIS_MASTER_KEY');
  });
});

describe('PORTCULLIS_MASTER_KEY_FILE', () => {
  it('reads one key per line or comma-separated', async () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const path = join(dir, 'keys');
    await writeFile(path, `${a.toString('base64')}\n${b.toString('base64')}\n`, { mode: 0o600 });
    const loaded = await loadMasterKeys({ env: { PORTCULLIS_MASTER_KEY_FILE: path }, dataDir: dir, allowCreate: false });
    expect(loaded.keys.map((key) => key.key)).toEqual([a, b]);
    expect(loaded).toMatchObject({ source: 'file', path });
  });

  it.skipIf(!posix)('refuses a group-readable key file, naming the file and the fix', async () => {
    const key = randomBytes(32).toString('base64');
    const path = join(dir, 'keys');
    await writeFile(path, key, { mode: 0o600 });
    await chmod(path, 0o640);
    const error = await loadError({ PORTCULLIS_MASTER_KEY_FILE: path });
    expect(error.code).toBe('master_key_insecure');
    expect(error.message).toContain(path);
    expect(error.message).toContain(`chmod 600 ${path}`);
    expectNoKeyMaterial(error, [key]);
  });

  it('refuses a key file with a bad key without printing it', async () => {
    const bad = randomBytes(24).toString('base64');
    const path = join(dir, 'keys');
    await writeFile(path, bad, { mode: 0o600 });
    const error = await loadError({ PORTCULLIS_MASTER_KEY_FILE: path });
    expect(error.code).toBe('master_key_invalid');
    expect(error.message).toContain(path);
    expectNoKeyMaterial(error, [bad]);
  });

  it('reports a missing file by path', async () => {
    const error = await loadError({ PORTCULLIS_MASTER_KEY_FILE: join(dir, 'absent') });
    expect(error.code).toBe('master_key_missing');
    expect(error.message).toContain(join(dir, 'absent'));
  });
});

describe('<dataDir>/master.key (embedded default)', () => {
  it('is created 0600 in a 0700 directory on first start and reused afterwards', async () => {
    const dataDir = join(dir, 'data');
    const first = await loadMasterKeys({ env: {}, dataDir, allowCreate: true });
    const path = join(dataDir, 'master.key');
    expect(first.created).toBe(path);
    expect(first.keys).toHaveLength(1);
    if (posix) {
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    }
    expect(Buffer.from((await readFile(path, 'utf8')).trim(), 'base64')).toEqual(first.keys[0]?.key);
    expect(await readdir(dataDir)).toEqual(['master.key']);

    const second = await loadMasterKeys({ env: {}, dataDir, allowCreate: true });
    expect(second.created).toBeUndefined();
    expect(second.keys[0]?.id).toBe(first.keys[0]?.id);
  });

  it('gives every concurrent first start the same key', async () => {
    const loads = await Promise.all(Array.from({ length: 5 }, () => loadMasterKeys({ env: {}, dataDir: dir, allowCreate: true })));
    expect(new Set(loads.map((loaded) => loaded.keys[0]?.id)).size).toBe(1);
    expect(loads.filter((loaded) => loaded.created !== undefined).length).toBe(1);
    expect(await readdir(dir)).toEqual(['master.key']);
  });

  it.skipIf(!posix)('refuses an existing master.key that others can read', async () => {
    await loadMasterKeys({ env: {}, dataDir: dir, allowCreate: true });
    await chmod(join(dir, 'master.key'), 0o644);
    const error = await loadError({}, true);
    expect(error.code).toBe('master_key_insecure');
    expect(error.message).toContain(`chmod 600 ${join(dir, 'master.key')}`);
  });
});
