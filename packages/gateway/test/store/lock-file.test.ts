import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireLockFile } from '../../src/store/lock-file.js';
import { expectStoreError } from './database.case.js';

const dir = await mkdtemp(join(tmpdir(), 'portcullis-lock-'));
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
const lockPath = (): string => join(dir, `test-${++n}.lock`);
const refusal = (path: string): Promise<unknown> => acquireLockFile(path, dir).catch((e: unknown) => e);

describe('lock file', () => {
  it('is created with our pid, owner-only, and refuses a second taker in this process', async () => {
    const path = lockPath();
    const lock = await acquireLockFile(path, dir);
    expect(await readFile(path, 'utf8')).toBe(`${process.pid}\n`);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const error = await refusal(path);
    expectStoreError(error, 'locked');
    expect((error as Error).message).toContain(dir);
    await lock.release();
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    await (await acquireLockFile(path, dir)).release(); // free again
  });

  it('takes over a lock whose process is gone', async () => {
    const path = lockPath();
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(path, `${dead}\n`);
    const lock = await acquireLockFile(path, dir);
    expect(await readFile(path, 'utf8')).toBe(`${process.pid}\n`);
    await lock.release();
  });

  // In a container the restarted gateway often gets the pid its crashed predecessor had (pid 1).
  it('takes over a lock naming our own pid that this process does not hold', async () => {
    const path = lockPath();
    await writeFile(path, `${process.pid}\n`);
    const lock = await acquireLockFile(path, dir);
    await lock.release();
  });

  it('treats an empty lock as being written, unless it is old', async () => {
    const path = lockPath();
    await writeFile(path, '');
    expectStoreError(await refusal(path), 'locked');
    const old = new Date(Date.now() - 60_000);
    await utimes(path, old, old);
    const lock = await acquireLockFile(path, dir);
    await lock.release();
  });

  it('never removes a lock that another process took over', async () => {
    const path = lockPath();
    const lock = await acquireLockFile(path, dir);
    await writeFile(path, `${process.ppid}\n`);
    await lock.release();
    expect(await readFile(path, 'utf8')).toBe(`${process.ppid}\n`);
  });
});
