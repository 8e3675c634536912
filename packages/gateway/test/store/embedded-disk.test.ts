import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEmbeddedDatabase } from '../../src/store/embedded.js';
import { openDatabase } from '../../src/store/open.js';
import { describeDatabase, expectStoreError } from './database.case.js';

const root = await mkdtemp(join(tmpdir(), 'portcullis-store-'));
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The pid of a process that has exited (so a lock naming it is stale). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid ?? 2_147_483_646;
}

// Creating a database (initdb) takes seconds, reopening one a fraction of a second: the tests below
// reopen the directory the contract suite created (and still pass alone, only slower).
const dataDir = join(root, 'data');

describeDatabase('embedded, on disk', () => openEmbeddedDatabase({ dataDir }));

describe('embedded database on disk', () => {
  it('keeps its files under <dataDir>/db (0700), locks the directory, and refuses a second opener', async () => {
    const db = await openDatabase({ dataDir });
    try {
      expect((await stat(join(dataDir, 'db'))).mode & 0o777).toBe(0o700);
      expect((await readFile(join(dataDir, 'db.lock'), 'utf8')).trim()).toBe(String(process.pid));
      const error = await openEmbeddedDatabase({ dataDir }).catch((e: unknown) => e);
      expectStoreError(error, 'locked');
      expect((error as Error).message).toContain(dataDir);
      await db.query("INSERT INTO consumers (id, name) VALUES ('c_kept', 'kept')");
    } finally {
      await db.close();
    }
    await expect(stat(join(dataDir, 'db.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a directory locked by another live process', async () => {
    await writeFile(join(dataDir, 'db.lock'), `${process.ppid}\n`);
    try {
      const error = await openEmbeddedDatabase({ dataDir }).catch((e: unknown) => e);
      expectStoreError(error, 'locked');
      expect((error as Error).message).toContain(`process ${process.ppid}`);
    } finally {
      await rm(join(dataDir, 'db.lock'));
    }
  });

  it('takes over a stale lock from a dead process, and finds its data again', async () => {
    await writeFile(join(dataDir, 'db.lock'), `${deadPid()}\n`);
    const db = await openDatabase({ dataDir, onMigrated: (result) => expect(result.applied).toEqual([]) });
    try {
      expect(await db.query('SELECT name FROM consumers WHERE id = $1', ['c_kept'])).toEqual([{ name: 'kept' }]);
      expect((await readFile(join(dataDir, 'db.lock'), 'utf8')).trim()).toBe(String(process.pid));
    } finally {
      await db.close();
    }
  });
});
