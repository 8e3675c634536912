import { userInfo } from 'node:os';
import type pg from 'pg';
import type { PoolClient } from 'pg';
import type copyStreams from 'pg-copy-streams';
import { PortcullisError } from '../lib/errors.js';
import { StoreError } from './errors.js';
import { assertOutsideScope, closable, insideScope, runSession } from './session.js';
import type { ScriptSql, Session } from './session.js';
import { copyTarget, pingDatabase } from './sql.js';
import type { Database } from './sql.js';

export interface PostgresOptions {
  /** postgres:// URL. The password may also come from PGPASSWORD; it never appears in an error. */
  url: string;
  /** Schema to use (created if missing) instead of the server's search_path; for test isolation. */
  schema?: string;
  /** Pool size (default 10). */
  max?: number;
}

/** Unquoted-identifier shape: keeps `SET search_path` free of quoting games. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

let pgModule: Promise<typeof pg> | undefined;

/** node-postgres, loaded on first use: a start with the embedded store never needs it (start-up time). */
export function loadPg(): Promise<typeof pg> {
  pgModule ??= import('pg').then((module) => module.default);
  return pgModule;
}

let copyStreamsModule: Promise<typeof copyStreams> | undefined;

/** pg-copy-streams (COPY FROM STDIN over a node-postgres connection), loaded with the first COPY. */
function loadCopyStreams(): Promise<typeof copyStreams> {
  copyStreamsModule ??= import('pg-copy-streams').then((module) => module.default);
  return copyStreamsModule;
}

/** Same JS types as the embedded backend: node-postgres defaults, except date stays 'YYYY-MM-DD'. */
const keepText = (text: string): string => text;
const typeParsers = (types: typeof pg.types) => ({
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === types.builtins.DATE ? keepText : types.getTypeParser(oid, format)) as typeof types.getTypeParser,
});

/** Opens a pool and checks that the server answers, so a bad URL or password fails at start. */
export async function openPostgresDatabase(options: PostgresOptions): Promise<Database> {
  const { url, schema, max = 10 } = options;
  const { shown, redact } = redactor(url);
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new TypeError('database schema must be a plain identifier: letters, digits and _');
  }
  if (!Number.isInteger(max) || max < 1) throw new TypeError('database pool max must be a positive integer');
  const { Pool, types } = await loadPg();
  const pool = new Pool({
    connectionString: withDefaultUser(url),
    max,
    types: typeParsers(types),
    application_name: 'portcullis',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle pooled connection that dies (server restart) emits 'error'; the pool drops it and the next
  // query opens a fresh one. Without a listener the process would crash.
  pool.on('error', () => undefined);
  const db = new PostgresDatabase(pool, schema, (what, error) => redact(`${what} PostgreSQL at ${shown}: ${describe(error)}`));
  try {
    if (schema !== undefined) await createSchema(db, schema);
    else await db.query('SELECT 1');
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #schema: string | undefined;
  /** The message for a failed connection: names the server, never the password. */
  readonly #unavailable: (what: string, error: unknown) => string;
  /** Connections whose search_path is already set (they live as long as the pool keeps them). */
  readonly #prepared = new WeakSet<PoolClient>();
  #closing: Promise<void> | undefined;

  constructor(pool: pg.Pool, schema: string | undefined, unavailable: (what: string, error: unknown) => string) {
    this.#pool = pool;
    this.#schema = schema;
    this.#unavailable = unavailable;
  }

  async query<Row extends Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.#withClient(async (client) => (await client.query<Row>(text, params ? [...params] : undefined)).rows);
  }

  async transaction<T>(work: (tx: ScriptSql) => Promise<T>): Promise<T> {
    return this.#withClient((client) => runTransaction(this, client, work));
  }

  async copyFrom(table: string, columns: readonly string[], rows: Uint8Array): Promise<void> {
    const statement = `COPY ${copyTarget(table, columns)} FROM STDIN`;
    const { from } = await loadCopyStreams();
    await this.#withClient(
      (client) =>
        new Promise<void>((resolve, reject) => {
          // One statement: the server adds every row or, on any error, none.
          const stream = client.query(from(statement));
          stream.once('error', reject).once('finish', resolve);
          stream.end(Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength));
        }),
    );
  }

  ping(): Promise<boolean> {
    return pingDatabase(this);
  }

  close(): Promise<void> {
    this.#closing ??= this.#pool.end();
    return this.#closing;
  }

  [runSession]<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    return this.#withClient(async (client) => {
      const { sql, end } = closable<Session>({
        ...clientSql(client),
        transaction: (work) => runTransaction(this, client, work),
      });
      try {
        return await insideScope(this, () => fn(sql));
      } finally {
        end();
      }
    }, true);
  }

  /**
   * Checks a connection out for `fn` and always gives it back; it is destroyed instead of reused when it
   * failed, is still inside a transaction, or (`discard`) may carry session state such as a lock.
   */
  async #withClient<T>(fn: (client: PoolClient) => Promise<T>, discard = false): Promise<T> {
    assertOutsideScope(this);
    if (this.#closing) throw new StoreError('closed', 'the database has been closed');
    const client = await this.#connect();
    // A checked-out connection has no pool listener; one that dies between statements would otherwise
    // crash the process with an unhandled 'error' event. The failure surfaces on the next statement.
    let broken: Error | undefined;
    const onError = (error: Error): void => void (broken = error);
    client.on('error', onError);
    try {
      if (!this.#prepared.has(client) && this.#schema !== undefined) {
        await client.query(`SET search_path TO "${this.#schema}"`);
        this.#prepared.add(client);
      }
      return await fn(client);
    } catch (error) {
      // A connection lost mid-query (server restart, failover, a killed backend) is an outage, not a
      // bug: callers see the same StoreError 'unavailable' as for a refused connection.
      if (broken !== undefined || isConnectionLoss(error)) throw new StoreError('unavailable', this.#unavailable('lost the connection to', error));
      throw error;
    } finally {
      client.off('error', onError);
      const reusable = !broken && !discard && client.getTransactionStatus() === 'I';
      client.release(reusable ? false : (broken ?? true));
    }
  }

  async #connect(): Promise<PoolClient> {
    try {
      return await this.#pool.connect();
    } catch (error) {
      throw new StoreError('unavailable', this.#unavailable('cannot connect to', error));
    }
  }
}

/**
 * SQLSTATE class 08 (connection exception), 57P01-57P03 (the server is shutting down or starting) and
 * socket errors: the statement's fate is unknown to us but the server is gone. Our own errors (e.g. a
 * CredentialError thrown by the work) are never reclassified.
 */
function isConnectionLoss(error: unknown): boolean {
  if (error instanceof PortcullisError) return false;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return code.startsWith('08') || ['57P01', '57P02', '57P03', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(code);
}

/** BEGIN ... COMMIT on one connection; ROLLBACK when the work throws. */
async function runTransaction<T>(owner: object, client: PoolClient, work: (tx: ScriptSql) => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  const { sql, end } = closable<ScriptSql>(clientSql(client));
  let result: T;
  try {
    result = await insideScope(owner, () => work(sql));
  } catch (error) {
    end();
    // The work's error is the one worth reporting. If ROLLBACK fails too, the connection is left inside
    // a transaction and #withClient destroys it rather than pooling it.
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  end();
  // PostgreSQL answers COMMIT of a failed transaction with ROLLBACK, not an error: make it one, as the
  // work believes its writes were kept.
  const commit = await client.query('COMMIT');
  if (commit.command === 'ROLLBACK') {
    throw new StoreError('transaction_aborted', 'a statement failed inside the transaction; it was rolled back');
  }
  return result;
}

function clientSql(client: PoolClient): ScriptSql {
  return {
    query: async <Row extends Record<string, unknown>>(text: string, params?: readonly unknown[]) =>
      (await client.query<Row>(text, params ? [...params] : undefined)).rows,
    // Without parameters node-postgres uses the simple protocol, which runs several statements.
    exec: async (script: string) => void (await client.query(script)),
  };
}

async function createSchema(db: Database, schema: string): Promise<void> {
  try {
    await db.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } catch (error) {
    // Two instances creating it at once: one of them loses the race on the catalog's unique index.
    if ((error as { code?: unknown }).code !== '23505') throw error;
  }
}

/**
 * libpq connects as the OS user when the URL names none; node-postgres uses $PGUSER or $USER and sends
 * no user at all when both are unset (common in containers). Fill the gap as libpq would.
 */
export function withDefaultUser(url: string): string {
  if (process.env.PGUSER || process.env.USER) return url;
  try {
    const parsed = new URL(url);
    if (parsed.username) return url;
    parsed.username = encodeURIComponent(userInfo().username);
    return parsed.toString();
  } catch {
    return url; // unparsable, or a uid without a passwd entry: let the driver report it
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  // Connecting to a name with several addresses fails with an AggregateError whose message is empty.
  const inner = error instanceof AggregateError && error.errors[0] instanceof Error ? error.errors[0] : error;
  const code = (inner as { code?: unknown }).code;
  const message = inner.message || error.message || inner.name;
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}

/**
 * Returns the URL as it may be shown (password replaced by ***), and a function that removes the
 * password (and PGPASSWORD) from any text: error messages of drivers are not ours to vet.
 */
export function redactor(url: string): { shown: string; redact: (text: string) => string } {
  const secrets = new Set<string>();
  let shown = '(unparsable URL)';
  try {
    const parsed = new URL(url);
    for (const value of [parsed.password, parsed.searchParams.get('password') ?? '']) {
      if (value) secrets.add(value).add(decodeURIComponent(value));
    }
    if (parsed.password) parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    shown = parsed.toString();
  } catch {
    secrets.add(url);
  }
  if (process.env.PGPASSWORD) secrets.add(process.env.PGPASSWORD);
  return {
    shown,
    redact: (text) => {
      let out = text.replaceAll(url, shown);
      for (const secret of secrets) out = out.replaceAll(secret, '***');
      return out;
    },
  };
}
