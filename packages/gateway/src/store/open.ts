import { openEmbeddedDatabase } from './embedded.js';
import { migrate } from './migrate.js';
import type { MigrateResult } from './migrate.js';
import { openPostgresDatabase } from './postgres.js';
import type { Database } from './sql.js';

export interface OpenDatabaseOptions {
  /** PostgreSQL URL (`database.url`); when absent, the embedded database in `dataDir` is used. */
  url?: string;
  dataDir: string;
  /** PostgreSQL only: keep every table in this schema (test isolation on a shared server). */
  schema?: string;
  /** Told what the migration did, for the startup log (e.g. ids unknown to this older release). */
  onMigrated?: (result: MigrateResult) => void;
}

/** Opens the configured database and brings its schema up to date before anything reads it. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const db = options.url
    ? await openPostgresDatabase({ url: options.url, ...(options.schema ? { schema: options.schema } : {}) })
    : await openEmbeddedDatabase({ dataDir: options.dataDir });
  try {
    const migrated = await migrate(db); // not inside `onMigrated?.(...)`: that skips its argument too
    options.onMigrated?.(migrated);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
