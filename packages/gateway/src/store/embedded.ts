import { readFileSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EmbeddedReply, EmbeddedRequest, SerializedError } from './embedded-messages.js';
import { StoreError } from './errors.js';
import { acquireLockFile } from './lock-file.js';
import type { LockFile } from './lock-file.js';
import { assertOutsideScope, closable, insideScope, runSession } from './session.js';
import type { ScriptSql, Session } from './session.js';
import { copyTarget, pingDatabase } from './sql.js';
import type { Database } from './sql.js';

export interface EmbeddedOptions {
  /** Absent: in memory (tests). Present: files under `<dataDir>/db`, locked by `<dataDir>/db.lock`. */
  dataDir?: string;
}

/**
 * Opens PGlite on a worker thread (embedded-worker.ts): its statements run there, so a large write
 * does not stop the requests on the main thread. It is one connection: every statement, transaction
 * and session takes turns.
 */
export async function openEmbeddedDatabase(options: EmbeddedOptions): Promise<Database> {
  if (options.dataDir === undefined) return new EmbeddedDatabase(await EmbeddedConnection.open(undefined), undefined);
  const dir = resolve(options.dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const lock = await acquireLockFile(join(dir, 'db.lock'), dir);
  try {
    const dbDir = join(dir, 'db');
    await mkdir(dbDir, { recursive: true, mode: 0o700 });
    await chmod(dbDir, 0o700); // database files are credentials' hashes and wrapped keys: owner only
    return new EmbeddedDatabase(await EmbeddedConnection.open(dbDir), lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** What EmbeddedDatabase needs of a connection or of one of its transactions. */
interface Statements {
  query(text: string, params: readonly unknown[] | undefined): Promise<unknown[]>;
  exec(script: string): Promise<void>;
}

/** The global WebAssembly (Node's types leave it out without the DOM library). */
const wasm = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<object> } }).WebAssembly;
let compiled: Promise<object> | undefined;

/** PGlite's WebAssembly compiled once per process; every store's worker instantiates the same module. */
function pgliteModule(): Promise<object> {
  compiled ??= wasm.compile(readFileSync(join(dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')), 'pglite.wasm')));
  return compiled;
}

/** From src/store (tests) or dist/store alike, the built worker: a worker thread runs JavaScript only. */
const WORKER_URL = new URL('../../dist/store/embedded-worker.js', import.meta.url);

/** A worker started ahead of need (see prepareEmbeddedStore), with what became of it meanwhile. */
interface SpareWorker {
  readonly worker: Worker;
  failed: boolean;
}
let spare: SpareWorker | undefined;

/**
 * Starts what the next embedded store will need before anyone knows where it lives: PGlite's worker
 * thread (which loads PGlite) and the compilation of its WebAssembly. `portcullis start` calls this as
 * soon as its configuration names the embedded store, so both overlap the loading of the gateway.
 * Idle, the spare worker does not keep the process alive.
 */
export function prepareEmbeddedStore(): void {
  if (spare && !spare.failed) return;
  void pgliteModule().catch(() => undefined); // a failure is reported by the open that awaits it
  const worker = startWorker();
  const prepared: SpareWorker = { worker, failed: false };
  // Until a store takes it, an error only marks it: the store then starts a worker of its own.
  const fail = () => (prepared.failed = true);
  worker.once('error', fail).once('exit', fail);
  worker.unref();
  spare = prepared;
}

function startWorker(): Worker {
  // The worker inherits the process's flags (V8 ones included, which it would refuse if listed),
  // except under `node --input-type=module -e ...`, whose flag a worker loading a file refuses.
  const execArgv = process.execArgv.some((flag) => flag.startsWith('--input-type'))
    ? process.execArgv.filter((flag) => !flag.startsWith('--input-type'))
    : undefined;
  return new Worker(WORKER_URL, { execArgv });
}

/** The spare worker if there is a healthy one (each is used once), else a new one. */
function takeWorker(): Worker {
  const taken = spare;
  spare = undefined;
  if (!taken || taken.failed) return startWorker();
  taken.worker.removeAllListeners('error').removeAllListeners('exit');
  return taken.worker;
}

/** The main thread's side of the worker: numbered requests, answered in any order. */
class EmbeddedConnection implements Statements {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve(rows: unknown[]): void; reject(error: Error): void }>();
  #nextId = 1;
  #gone: Error | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (message: EmbeddedReply) => this.#settle(message));
    // A worker that dies (a WebAssembly abort, out of memory) fails every waiting statement, and later ones.
    worker.on('error', (error) => this.#fail(new StoreError('unavailable', `the embedded database stopped: ${error.message}`)));
    worker.on('exit', () => this.#fail(closedError()));
  }

  static async open(dbDir: string | undefined): Promise<EmbeddedConnection> {
    const connection = new EmbeddedConnection(takeWorker());
    try {
      await connection.#call({ id: 0, op: 'open', dbDir, wasmModule: await pgliteModule() });
    } catch (error) {
      await connection.#worker.terminate();
      throw error;
    }
    return connection;
  }

  query(text: string, params: readonly unknown[] | undefined, tx?: number): Promise<unknown[]> {
    return this.#call({ id: this.#nextId++, op: 'query', text, params: params ? [...params] : undefined, tx }).then(buffersBack);
  }

  async exec(script: string, tx?: number): Promise<void> {
    await this.#call({ id: this.#nextId++, op: 'exec', script, tx });
  }

  /** The rows are copied once into a buffer of their own, which is then handed to the worker, not cloned. */
  async copy(target: string, rows: Uint8Array): Promise<void> {
    const own = new Uint8Array(rows);
    await this.#call({ id: this.#nextId++, op: 'copy', target, rows: own }, [own.buffer]);
  }

  /** Runs `work` inside BEGIN ... COMMIT on the worker; ROLLBACK when it throws. */
  async transaction<T>(work: (tx: Statements) => Promise<T>): Promise<T> {
    const tx = this.#nextId++;
    await this.#call({ id: tx, op: 'begin' });
    let result: T;
    try {
      result = await work({ query: (text, params) => this.query(text, params, tx), exec: (script) => this.exec(script, tx) });
    } catch (error) {
      await this.#call({ id: this.#nextId++, op: 'end', tx, commit: false }).catch(() => undefined);
      throw error;
    }
    await this.#call({ id: this.#nextId++, op: 'end', tx, commit: true });
    return result;
  }

  async close(): Promise<void> {
    if (this.#gone) return;
    await this.#call({ id: this.#nextId++, op: 'close' }); // PGlite has closed its files when this answers
    await this.#worker.terminate();
  }

  #call(request: EmbeddedRequest, transfer: ArrayBuffer[] = []): Promise<unknown[]> {
    if (this.#gone) return Promise.reject(this.#gone);
    const done = new Promise<unknown[]>((resolve, reject) => this.#waiting.set(request.id, { resolve, reject }));
    this.#worker.postMessage(request, transfer);
    this.#worker.ref(); // while a statement is out, it keeps the process alive as PGlite in-process did
    return done;
  }

  #settle(message: EmbeddedReply): void {
    const waiting = this.#waiting.get(message.id);
    this.#waiting.delete(message.id);
    if (this.#waiting.size === 0) this.#worker.unref(); // an idle store never holds the process open
    if (!waiting) return;
    if (message.error) waiting.reject(deserialize(message.error));
    else waiting.resolve(message.rows);
  }

  #fail(error: Error): void {
    this.#gone ??= error;
    for (const { reject } of this.#waiting.values()) reject(this.#gone);
    this.#waiting.clear();
  }
}

/** The worker's error as callers knew it in process: same message, name and SQLSTATE fields. */
function deserialize(serialized: SerializedError): Error {
  if (serialized.transactionAborted) return new StoreError('transaction_aborted', 'a statement failed inside the transaction; it was rolled back');
  const error = new Error(serialized.message);
  Object.assign(error, serialized.fields);
  Object.defineProperty(error, 'name', { value: serialized.name, enumerable: false, configurable: true, writable: true });
  return error;
}

/** A Buffer crosses threads as a plain Uint8Array: bytea values become Buffers again (also inside arrays). */
function buffersBack(rows: unknown[]): unknown[] {
  for (const row of rows as Record<string, unknown>[]) {
    for (const key in row) {
      const value = row[key];
      if (value instanceof Uint8Array) row[key] = asBuffer(value);
      else if (Array.isArray(value) && value[0] instanceof Uint8Array) row[key] = value.map((v) => (v instanceof Uint8Array ? asBuffer(v) : v));
    }
  }
  return rows;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

class EmbeddedDatabase implements Database {
  readonly kind = 'embedded' as const;
  readonly #pg: EmbeddedConnection;
  readonly #lock: LockFile | undefined;
  readonly #turns = new Turns();
  #closing: Promise<void> | undefined;

  constructor(pg: EmbeddedConnection, lock: LockFile | undefined) {
    this.#pg = pg;
    this.#lock = lock;
  }

  query<Row extends Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.#take(() => this.#pg.query(text, params) as Promise<Row[]>);
  }

  transaction<T>(work: (tx: ScriptSql) => Promise<T>): Promise<T> {
    return this.#take(() => this.#transaction(work));
  }

  copyFrom(table: string, columns: readonly string[], rows: Uint8Array): Promise<void> {
    // A refused name rejects in its turn, before anything reaches the worker.
    return this.#take(async () => this.#pg.copy(copyTarget(table, columns), rows));
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
      // Our turn excludes every other user of this Database, so the connection's own calls are free to use.
      const { sql, end } = closable<Session>({
        query: (text, params) => this.#pg.query(text, params) as Promise<never[]>,
        exec: (script) => this.#pg.exec(script),
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

  #transaction<T>(work: (tx: ScriptSql) => Promise<T>): Promise<T> {
    return this.#pg.transaction(async (tx) => {
      const { sql, end } = closable<ScriptSql>({
        query: (text, params) => tx.query(text, params) as Promise<never[]>,
        exec: (script) => tx.exec(script),
      });
      try {
        return await insideScope(this, () => work(sql));
      } finally {
        end();
      }
    });
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

function closedError(): StoreError {
  return new StoreError('closed', 'the database has been closed');
}
