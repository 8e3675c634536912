import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where encrypted cache entries live. Keys are opaque hex names; values are already encrypted. */
export interface CacheStore {
  get(key: string): Promise<Uint8Array | undefined>;
  set(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
}

/** In memory, least recently used out first beyond `maxEntries` (default 1000). */
export function memoryStore(options: { maxEntries?: number } = {}): CacheStore {
  const max = options.maxEntries ?? 1000;
  const entries = new Map<string, Uint8Array>();
  return {
    async get(key) {
      const value = entries.get(key);
      if (value) {
        entries.delete(key);
        entries.set(key, value);
      }
      return value;
    },
    async set(key, value) {
      entries.delete(key);
      entries.set(key, value);
      while (entries.size > max) entries.delete(entries.keys().next().value as string);
    },
    async delete(key) {
      entries.delete(key);
    },
  };
}

/** On disk, one owner-only file per entry, replaced atomically (write then rename). */
export function diskStore(directory: string): CacheStore {
  const ready = mkdir(directory, { recursive: true, mode: 0o700 });
  const file = (key: string): string => {
    if (!/^[0-9a-f]+$/.test(key)) throw new TypeError('cache keys are hex names');
    return join(directory, `${key}.bin`);
  };
  return {
    async get(key) {
      await ready;
      try {
        return await readFile(file(key));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async set(key, value) {
      await ready;
      const temp = `${file(key)}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(temp, value, { mode: 0o600 });
      await rename(temp, file(key));
    },
    async delete(key) {
      await rm(file(key), { force: true });
    },
  };
}
