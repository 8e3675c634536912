import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite, TransactionAbortedError, types } from '@electric-sql/pglite';
import type { ParserOptions, Transaction } from '@electric-sql/pglite';
import { loadTemplate } from './embedded-template.js';
import { StoreError } from './errors.js';
import { acquireLockFile } from './lock-file.js';
import type { LockFile } from './lock-file.js';
import { assertOutsideScope, closable, insideScope, runSession } from './session.js';
import type { ScriptSql, Session } from './session.js';
import { pingDatabase } from './sql.js';
import type { Database } from './sql.js';

export interface EmbeddedOptions {
  /** Absent: in memory (tests). Present: files under `<dataDir>/db`, locked by `<dataDir>/db.lock`. */
  dataDir?: string;
}

/**
 * Values come back as node-postgres returns them, so repositories see the same JS types on both
 * backends: bytea as Buffer (PGlite: Uint8Array), int8 as a lossless string (PGlite: number or bigint
 * depending on size), date as 'YYYY-MM-DD' (both would build a Date at a timezone-dependent midnight).
 */
const parsers: ParserOptions = {
  [types.BYTEA]: (text: string) => Buffer.from(text.slice(2), 'hex'), // text form is '\x' + hex
  [types.INT8]: (text: string) => text,
  [types.DATE]: (text: string) => text,
};

/** Opens PGlite. It is one connection: every statement, transaction and session takes turns. */
export async function openEmbeddedDatabase(options: EmbeddedOptions): Promise<Database> {
  if (options.dataDir === undefined) {
    const template = loadTemplate();
    return new EmbeddedDatabase(await PGlite.create({ parsers, ...(template ? { loadDataDir: template } : {}) }), undefined);
  }
  const dir = resolve(options.dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const lock = await acquireLockFile(join(dir, 'db.lock'), dir);
  try {
    const dbDir = join(dir, 'db');
    await mkdir(dbDir, { recursive: true, mode: 0o700 });
    await chmod(dbDir, 0o700); // database files are credentials' hashes and wrapped keys: owner only
    // A new store starts from the build-time template instead of running initdb (see embedded-template.ts).
    const template = existsSync(join(dbDir, 'PG_VERSION')) ? undefined : loadTemplate();
    return new EmbeddedDatabase(await PGlite.create({ dataDir: dbDir, parsers, ...(template ? { loadDataDir: template } : {}) }), lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

class EmbeddedDatabase implements Database {
  readonly kind = 'embedded' as const;
  readonly #pg: PGlite;
  readonly #lock: LockFile | undefined;
  readonly #turns = new Turns();
  #closing: Promise<void> | undefined;

  constructor(pg: PGlite, lock: LockFile | undefined) {
    this.#pg = pg;
    this.#lock = lock;
  }

  query<Row extends Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.#take(() => rows<Row>(this.#pg, text, params));
  }

  transaction<T>(work: (tx: ScriptSql) => Promise<T>): Promise<T> {
    return this.#take(() => this.#transaction(work));
  }

  ping(): Promise<boolean> {
    return pingDatabase(this);
  }

  close(): Promise<void> {
    // Statements already waiting for their turn finish first; new ones are refused from now on.
    this.#closing ??= this.#turns.run(async () => {
      try {
        await this.#pg.close();
      } finally {
        await this.#lock?.release();
      }
    });
    return this.#closing;
  }

  [runSession]<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    return this.#take(async () => {
      // Our turn excludes every other user of this Database, so PGlite's own calls are free to use.
      const { sql, end } = closable<Session>({
        query: (text, params) => rows(this.#pg, text, params),
        exec: (script) => exec(this.#pg, script),
        transaction: (work) => this.#transaction(work),
      });
      try {
        return await insideScope(this, () => fn(sql));
      } finally {
        end();
      }
    });
  }

  #take<T>(fn: () => Promise<T>): Promise<T> {
    try {
      assertOutsideScope(this);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    if (this.#closing) return Promise.reject(closedError());
    return this.#turns.run(fn);
  }

  async #transaction<T>(work: (tx: ScriptSql) => Promise<T>): Promise<T> {
    try {
      return await this.#pg.transaction(async (tx) => {
        const { sql, end } = closable<ScriptSql>({
          query: (text, params) => rows(tx, text, params),
          exec: (script) => exec(tx, script),
        });
        try {
          return await insideScope(this, () => work(sql));
        } finally {
          end();
        }
      });
    } catch (error) {
      if (error instanceof TransactionAbortedError) {
        throw new StoreError('transaction_aborted', 'a statement failed inside the transaction; it was rolled back');
      }
      throw error;
    }
  }
}

/** First come, first served: a promise chain, so each caller waits for every earlier one to settle. */
class Turns {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

async function rows<Row>(
  pg: Pick<PGlite | Transaction, 'query'>,
  text: string,
  params: readonly unknown[] | undefined,
): Promise<Row[]> {
  try {
    return (await pg.query<Row>(text, params ? [...params] : undefined)).rows;
  } catch (error) {
    throw scrubbed(error);
  }
}

async function exec(pg: Pick<PGlite | Transaction, 'exec'>, script: string): Promise<void> {
  try {
    await pg.exec(script);
  } catch (error) {
    throw scrubbed(error);
  }
}

/** PGlite attaches the parameter values to its errors; a logged error must not carry row data. */
function scrubbed(error: unknown): unknown {
  if (error instanceof Error) {
    for (const key of ['params', 'queryOptions']) {
      if (Object.hasOwn(error, key)) Reflect.deleteProperty(error, key);
    }
  }
  return error;
}

function closedError(): StoreError {
  return new StoreError('closed', 'the database has been closed');
}
