import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { PGlite, TransactionAbortedError, types } from '@electric-sql/pglite';
import type { PGliteOptions, ParserOptions, Transaction } from '@electric-sql/pglite';
import { loadTemplate } from './embedded-template.js';
import type { EmbeddedReply, EmbeddedRequest, SerializedError } from './embedded-messages.js';

/**
 * The embedded PostgreSQL (PGlite, WebAssembly) on a thread of its own. PGlite runs every statement
 * synchronously on the thread that calls it; on the gateway's main thread a batch of access records
 * stopped every request in flight for 0.2-0.5 s (docs/performance.md). Here it blocks only this thread.
 * The main thread (embedded.ts) serialises the work, so this side runs one request at a time.
 */

/**
 * Values come back as node-postgres returns them, so repositories see the same JS types on both
 * backends: bytea as Buffer (PGlite: Uint8Array; a Buffer arrives on the main thread as a Uint8Array
 * and embedded.ts makes it a Buffer again), int8 as a lossless string, date as 'YYYY-MM-DD'.
 */
const parsers: ParserOptions = {
  [types.BYTEA]: (text: string) => Buffer.from(text.slice(2), 'hex'), // text form is '\x' + hex
  [types.INT8]: (text: string) => text,
  [types.DATE]: (text: string) => text,
};

const port = parentPort;
if (!port) throw new Error('embedded-worker.js runs as a worker thread of the embedded store');

/** A transaction the main thread has open: its handle, and how to end it. */
interface OpenTransaction {
  readonly tx: Transaction;
  finish(commit: boolean, replyTo: number): void;
}

const transactions = new Map<number, OpenTransaction>();
const ROLLBACK = Symbol('rollback');

function reply(message: EmbeddedReply): void {
  port!.postMessage(message);
}

/** The error's message, name and fields (SQLSTATE `code`, `detail`...), never its parameter values. */
function serialize(error: unknown): SerializedError {
  if (error instanceof TransactionAbortedError) return { name: 'TransactionAbortedError', message: error.message, fields: {}, transactionAborted: true };
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), fields: {} };
  const fields: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(error)) {
    if (key === 'params' || key === 'queryOptions') continue;
    if (typeof value === 'string' || typeof value === 'number') fields[key] = value;
  }
  return { name: error.name, message: error.message, fields };
}

/**
 * PostgreSQL's defaults are sized for a server of its own. In WebAssembly, shared memory is allocated
 * and set up at every open: 128 MB of shared buffers cost about 0.4 s of each start and most of the
 * process's resident memory, and room for 100 connections about 50 ms more. The embedded store holds
 * credentials, audit and access records for one connection (this thread), and the operating system
 * still caches its files: 16 MB and 5 connections (more than the 3 PostgreSQL reserves) are plenty.
 */
const EMBEDDED_SETTINGS = ['-c', 'shared_buffers=16MB', '-c', 'max_connections=5'];

async function open(dbDir: string | undefined, wasmModule: object): Promise<PGlite> {
  const common: PGliteOptions = {
    parsers,
    startParams: [...PGlite.defaultStartParams, ...EMBEDDED_SETTINGS],
    pgliteWasmModule: wasmModule as PGliteOptions['pgliteWasmModule'],
  };
  if (dbDir === undefined) {
    const template = loadTemplate();
    return PGlite.create({ ...common, ...(template ? { loadDataDir: template } : {}) });
  }
  // A new store starts from the build-time template instead of running initdb (see embedded-template.ts).
  const template = existsSync(join(dbDir, 'PG_VERSION')) ? undefined : loadTemplate();
  return PGlite.create({ ...common, dataDir: dbDir, ...(template ? { loadDataDir: template } : {}) });
}

function begin(pg: PGlite, id: number): void {
  let ending: { commit: boolean; replyTo: number } | undefined;
  let finish: (() => void) | undefined;
  const ended = new Promise<void>((resolve) => (finish = resolve));
  pg.transaction(async (tx) => {
    transactions.set(id, {
      tx,
      finish(commit, replyTo) {
        ending = { commit, replyTo };
        finish!();
      },
    });
    reply({ id, rows: [] });
    await ended;
    if (!ending!.commit) throw ROLLBACK;
  }).then(
    () => reply({ id: ending!.replyTo, rows: [] }),
    (error: unknown) => {
      // BEGIN itself failed: nobody has been told the transaction is open.
      if (!ending) return reply({ id, error: serialize(error) });
      reply(error === ROLLBACK ? { id: ending.replyTo, rows: [] } : { id: ending.replyTo, error: serialize(error) });
    },
  ).finally(() => transactions.delete(id));
}

function target(pg: PGlite, tx: number | undefined): Pick<PGlite | Transaction, 'query' | 'exec'> {
  if (tx === undefined) return pg;
  const open = transactions.get(tx);
  if (!open) throw new Error('this transaction has already ended');
  return open.tx;
}

async function handle(pg: PGlite, request: Exclude<EmbeddedRequest, { op: 'open' }>): Promise<void> {
  switch (request.op) {
    case 'query': {
      const result = await target(pg, request.tx).query(request.text, request.params);
      return reply({ id: request.id, rows: result.rows });
    }
    case 'copy':
      // PGlite reads COPY data from its virtual device /dev/blob: the bytes go into WebAssembly memory
      // once, where a text parameter would be encoded, framed and copied again (docs/performance.md).
      await pg.query(`COPY ${request.target} FROM '/dev/blob'`, [], { blob: new Blob([request.rows]) });
      return reply({ id: request.id, rows: [] });
    case 'exec':
      await target(pg, request.tx).exec(request.script);
      return reply({ id: request.id, rows: [] });
    case 'begin':
      return begin(pg, request.id);
    case 'end': {
      const open = transactions.get(request.tx);
      if (!open) throw new Error('this transaction has already ended');
      return open.finish(request.commit, request.id);
    }
    case 'close':
      await pg.close();
      return reply({ id: request.id, rows: [] }); // the main thread then terminates this thread
  }
}

// Requests are handled in the order they arrive: each waits for the open, already settled after the first.
let opened: Promise<PGlite> | undefined;
port.on('message', (request: EmbeddedRequest) => {
  if (request.op === 'open') {
    opened ??= open(request.dbDir, request.wasmModule);
    opened.then(
      () => reply({ id: request.id, rows: [] }),
      (error: unknown) => reply({ id: request.id, error: serialize(error) }),
    );
    return;
  }
  if (!opened) return reply({ id: request.id, error: serialize(new Error('the embedded store was not opened')) });
  opened.then((pg) => handle(pg, request)).catch((error: unknown) => reply({ id: request.id, error: serialize(error) }));
});
