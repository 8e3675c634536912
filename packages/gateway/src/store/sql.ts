/**
 * The one seam between Portcullis and its database. Both backends speak PostgreSQL's dialect:
 * PGlite (embedded, in dataDir) and PostgreSQL (database.url). Repositories take a `Sql`, so the same
 * code runs inside or outside a transaction.
 *
 * Values are the same JS types on both backends (see the store tests): bytea <-> Buffer, text[] <->
 * string[], timestamptz -> Date, int8 (bigserial, count(*)) -> string (lossless), date -> 'YYYY-MM-DD',
 * json/jsonb -> parsed value. Pass jsonb parameters as `JSON.stringify(value)`: node-postgres would turn
 * a JS array into a PostgreSQL array. Database errors keep their SQLSTATE in `code` ('23505' = unique); a
 * refused or lost connection is a StoreError 'unavailable' instead.
 */
export interface Sql {
  /** Runs one parameterised statement ($1, $2, ...) and returns its rows. */
  query<Row extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<Row[]>;
}

export interface Database extends Sql {
  readonly kind: 'embedded' | 'postgres';
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws, so an
   * admin write leaves the old state or the new one, never a half.
   */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
  /**
   * Appends rows to `table` with `COPY ... FROM STDIN` in PostgreSQL's text format: one line per row,
   * ending in a newline, the `columns` separated by tabs, `\N` for null, and backslash, tab, newline and
   * carriage return escaped with a backslash (observe/access-record-rows.ts writes such lines). All rows
   * or none are added. PostgreSQL's bulk load: per row, a fraction of an INSERT's cost (docs/performance.md).
   */
  copyFrom(table: string, columns: readonly string[], rows: Uint8Array): Promise<void>;
  /** True when a trivial query answers (for /readyz). Never throws. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Lower-case identifiers only: COPY takes no parameters, so names are checked instead of quoted. */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** The column list of a COPY statement, `table (a, b, ...)`, from names checked to be plain identifiers. */
export function copyTarget(table: string, columns: readonly string[]): string {
  for (const name of [table, ...columns]) {
    if (!IDENTIFIER.test(name)) throw new TypeError(`COPY names must be plain lower-case identifiers, not ${JSON.stringify(name)}`);
  }
  if (columns.length === 0) throw new TypeError('COPY needs at least one column');
  return `${table} (${columns.join(', ')})`;
}

/** True when a trivial query answers; never throws. The one `ping` both backends use. */
export async function pingDatabase(sql: Sql): Promise<boolean> {
  try {
    await sql.query('SELECT 1');
    return true;
  } catch {
    return false;
  }
}
