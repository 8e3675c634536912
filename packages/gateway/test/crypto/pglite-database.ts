import { PGlite } from '@electric-sql/pglite';
import type { Database, Sql } from '../../src/store/sql.js';

/** The table from the store's migration 1, so these tests do not depend on the store being ready. */
export const DATA_KEYS_DDL = `
CREATE TABLE data_keys (
  id text PRIMARY KEY, master_key_id text NOT NULL, wrapped bytea NOT NULL,
  active boolean NOT NULL DEFAULT false, created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX data_keys_one_active ON data_keys (active) WHERE active;
`;

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
  const pg = new PGlite();
  await pg.exec(DATA_KEYS_DDL);
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
    ping: async () => (await pg.query('SELECT 1')).rows.length === 1,
    close: () => pg.close(),
  };
}
