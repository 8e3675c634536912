import { MIGRATIONS } from './migrations.js';
import type { Migration } from './migrations.js';
import { withSession } from './session.js';
import type { Session } from './session.js';
import type { Database } from './sql.js';

export interface MigrateResult {
  /** Ids applied by this call, in order; empty when the schema was already current. */
  readonly applied: readonly string[];
  /**
   * Ids recorded in the database that this build does not know: a newer release migrated it (for
   * example during a rolling upgrade). Not an error; the caller may warn.
   */
  readonly unknown: readonly string[];
}

/**
 * Serialises migrators across instances sharing one PostgreSQL. Session-level, so it is taken and
 * released on the one connection `withSession` holds. (An arbitrary constant: 'PORTCULL' in ASCII.)
 */
const MIGRATION_LOCK = '5786934568054770764';

/**
 * Brings the schema up to date: applies every migration not yet recorded, each in its own transaction
 * together with its record, so a crash leaves whole migrations only. Safe to run from several
 * instances at once: the advisory lock makes the others wait, then find nothing left to do.
 */
export async function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrateResult> {
  return withSession(db, async (session) => {
    await session.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
    try {
      return await applyPending(session, migrations);
    } finally {
      await session.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`);
    }
  });
}

async function applyPending(session: Session, migrations: readonly Migration[]): Promise<MigrateResult> {
  await session.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
  );
  const rows = await session.query<{ id: string }>('SELECT id FROM schema_migrations');
  const done = new Set(rows.map((row) => row.id));
  const known = new Set(migrations.map((migration) => migration.id));
  const applied: string[] = [];
  for (const migration of migrations) {
    if (done.has(migration.id)) continue;
    await session.transaction(async (tx) => {
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (id) VALUES ($1)', [migration.id]);
    });
    applied.push(migration.id);
  }
  return { applied, unknown: [...done].filter((id) => !known.has(id)).sort() };
}
