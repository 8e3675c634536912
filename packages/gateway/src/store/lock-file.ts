import { open, readFile, stat, unlink } from 'node:fs/promises';
import { StoreError } from './errors.js';

/**
 * An exclusive lock file holding the owner's pid, so that two processes never open the same PGlite
 * files (two Postgres instances writing one data directory corrupt it).
 */
export interface LockFile {
  readonly path: string;
  release(): Promise<void>;
}

/**
 * Lock files this process holds. A pid match alone does not prove the lock is ours: in a container the
 * gateway is often pid 1 again after a crash and restart, and must then take its old lock over.
 */
const held = new Set<string>();

/** A lock file with no pid yet is someone between create and write, unless it is older than this. */
const EMPTY_LOCK_GRACE_MS = 10_000;

/** Takes the lock at `path` (absolute) for `dir`, the directory named in the error if it is held. */
export async function acquireLockFile(path: string, dir: string): Promise<LockFile> {
  // Two rounds: the second one after removing a stale lock (or after the holder released it).
  for (let round = 0; round < 2; round++) {
    if (await tryCreate(path)) {
      held.add(path);
      return { path, release: () => release(path) };
    }
    const content = await readIfExists(path);
    if (content === undefined) continue;
    const holder = await holderOf(path, content);
    if (holder.alive) throw lockedError(dir, path, holder.pid);
    // Remove it only if it still is the stale lock we judged: another process may have taken it over
    // in between. (A narrow race remains between this read and the unlink; taking over a stale lock is
    // rare, and the loser of a tie still finds the winner's live pid on its next start.)
    if ((await readIfExists(path)) === content) await unlink(path).catch(ignoreMissing);
  }
  const pid = Number.parseInt((await readIfExists(path)) ?? '', 10);
  throw lockedError(dir, path, Number.isNaN(pid) ? undefined : pid);
}

async function tryCreate(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(`${process.pid}\n`);
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(path).catch(ignoreMissing);
    throw error;
  }
  return true;
}

async function holderOf(path: string, content: string): Promise<{ pid: number | undefined; alive: boolean }> {
  const pid = Number.parseInt(content, 10);
  if (Number.isNaN(pid) || pid <= 0) {
    const age = Date.now() - (await stat(path)).mtimeMs;
    return { pid: undefined, alive: age < EMPTY_LOCK_GRACE_MS };
  }
  if (pid === process.pid) return { pid, alive: held.has(path) };
  return { pid, alive: isAlive(pid) };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: existence check only
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function release(path: string): Promise<void> {
  if (!held.delete(path)) return;
  // Only remove the file if it still names us; never delete a lock someone else took over.
  const content = await readIfExists(path);
  if (content !== undefined && Number.parseInt(content, 10) === process.pid) {
    await unlink(path).catch(ignoreMissing);
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}

function lockedError(dir: string, path: string, pid: number | undefined): StoreError {
  const who = pid === process.pid ? 'this process' : pid === undefined ? 'another process' : `process ${pid}`;
  return new StoreError(
    'locked',
    `the data directory ${dir} is in use by ${who} (lock file ${path}); ` +
      'stop that Portcullis first, or delete the lock file if no Portcullis is running',
  );
}
