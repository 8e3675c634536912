import { randomBytes } from 'node:crypto';
import { link, open, rename, unlink } from 'node:fs/promises';

/**
 * Writes a file whole or not at all: the content goes to a temporary file in the same directory,
 * created with its final mode (so a key is never briefly readable by others), synced, then put in
 * place. With `exclusive`, it is linked into place and `false` is returned when the name already
 * exists: two processes starting at once cannot overwrite each other's file (rename would, silently).
 */
export async function writeFileAtomic(
  path: string,
  data: string | Buffer,
  options: { mode: number; exclusive?: boolean },
): Promise<boolean> {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temp, 'wx', options.mode);
    try {
      await handle.chmod(options.mode); // the umask may have narrowed the mode; make it exact
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (!options.exclusive) {
      await rename(temp, path);
      return true;
    }
    try {
      await link(temp, path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  } finally {
    await unlink(temp).catch(() => undefined); // after a rename there is nothing left to remove
  }
}
