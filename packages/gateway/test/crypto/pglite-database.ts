import { PGlite } from '@electric-sql/pglite';
import { loadTemplate } from '../../src/store/embedded-template.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { copyTarget } from '../../src/store/sql.js';
import type { Database, Sql } from '../../src/store/sql.js';

export interface TestDatabase extends Database {
  readonly pg: PGlite;
}

/**
 * A minimal in-memory Database over PGlite. `beforeQuery` runs before each statement (inside the
 * transaction when there is one), so a test can interleave a concurrent writer at an exact point.
 */
export async function createTestDatabase(
  options: { beforeQuery?: (text: string, sql: Sql) => Promise<void> } = {},
): Promise<TestDatabase> {
  const template = loadTemplate(); // the store's prebuilt empty cluster: no initdb per test
  const pg = await PGlite.create(template ? { loadDataDir: template } : {});
  // The store's own migrations, so the keyring runs against the tables it will meet in production.
  for (const migration of MIGRATIONS) await pg.exec(migration.sql);
  const wrap = (run: (text: string, params: unknown[]) => Promise<{ rows: unknown[] }>): Sql => {
    const sql: Sql = {
      async query<Row extends Record<string, unknown>>(text: string, params: readonly unknown[] = []) {
        await options.beforeQuery?.(text, sql);
        return (await run(text, [...params])).rows as Row[];
      },
    };
    return sql;
  };
  const direct = wrap((text, params) => pg.query(text, params));
  return {
    kind: 'embedded',
    pg,
    query: direct.query,
    transaction: (work) => pg.transaction((tx) => work(wrap((text, params) => tx.query(text, params)))),
    copyFrom: async (table, columns, rows) => void (await pg.query(`COPY ${copyTarget(table, columns)} FROM '/dev/blob'`, [], { blob: new Blob([rows]) })),
    ping: async () => (await pg.query('SELECT 1')).rows.length === 1,
    close: () => pg.close(),
  };
}
