import { AsyncLocalStorage } from 'node:async_hooks';
import { StoreError } from './errors.js';
import type { Database, Sql } from './sql.js';

/**
 * Store internals shared by both backends; not for repositories. Repositories take a `Sql`.
 */

/** A `Sql` that can also run a multi-statement script: PGlite's `query()` accepts one statement only. */
export interface ScriptSql extends Sql {
  exec(script: string): Promise<void>;
}

/**
 * One connection held for the duration of a function, so that session-level state (an advisory lock,
 * a SET) is taken and released on the same connection. On a pool that is the whole point: a session
 * lock taken through the pool could be released on another connection and leak.
 */
export interface Session extends ScriptSql {
  transaction<T>(work: (tx: ScriptSql) => Promise<T>): Promise<T>;
}

/** Symbol-keyed so the public `Database` interface stays as it is. */
export const runSession = Symbol('portcullis.store.runSession');

interface SessionCapable {
  [runSession]<T>(fn: (session: Session) => Promise<T>): Promise<T>;
}

/** Runs `fn` on one dedicated connection of `db` (embedded: the only one, exclusively). */
export function withSession<T>(db: Database, fn: (session: Session) => Promise<T>): Promise<T> {
  const capable = db as Database & Partial<SessionCapable>;
  if (typeof capable[runSession] !== 'function') {
    throw new TypeError('withSession() needs a Database opened by openEmbeddedDatabase or openPostgresDatabase');
  }
  return capable[runSession](fn);
}

/*
 * Guard against using the Database from inside its own transaction (or session). The embedded backend
 * has one connection, so an awaited `db.query` inside `db.transaction` would wait for itself forever; on
 * PostgreSQL it would silently run outside the transaction (and can deadlock on the transaction's own
 * row locks). Failing fast with a code turns both into the same visible bug on both backends.
 */
interface Scope {
  readonly owner: object;
  open: boolean;
  readonly parent: Scope | undefined;
}

const scopes = new AsyncLocalStorage<Scope>();

/**
 * The guard is a debugging aid, on in the test suite or with PORTCULLIS_STORE_GUARD=1. On Node 20 an
 * AsyncLocalStorage in use turns on async hooks for the whole process, which every proxied request
 * then pays for (about 6% of the gateway's CPU, docs/performance.md).
 */
const guardEnabled = Boolean(process.env.VITEST) || process.env.PORTCULLIS_STORE_GUARD === '1';

export async function insideScope<T>(owner: object, work: () => Promise<T>): Promise<T> {
  if (!guardEnabled) return work();
  const scope: Scope = { owner, open: true, parent: scopes.getStore() };
  try {
    return await scopes.run(scope, work);
  } finally {
    // Work started inside (a timer, an un-awaited promise) keeps the context; once the transaction has
    // ended it may use the Database again.
    scope.open = false;
  }
}

export function assertOutsideScope(owner: object): void {
  if (!guardEnabled) return;
  for (let scope = scopes.getStore(); scope; scope = scope.parent) {
    if (scope.open && scope.owner === owner) {
      throw new StoreError(
        'query_in_transaction',
        'the Database was used inside its own transaction or session: use the `tx` passed to the work instead',
      );
    }
  }
}

/**
 * Wraps a connection-bound object (plain object of async methods) so that it refuses work once its
 * transaction or session ended: on a pool the connection goes back to other users, and a late statement
 * must not land in their work.
 */
export function closable<S extends ScriptSql>(inner: S): { sql: S; end(): void } {
  let ended = false;
  const sql: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(inner)) {
    if (typeof method !== 'function') continue;
    sql[name] = async (...args: unknown[]): Promise<unknown> => {
      if (ended) throw new StoreError('transaction_closed', 'this transaction or session has already ended');
      return (method as (...a: unknown[]) => Promise<unknown>).apply(inner, args);
    };
  }
  return { sql: sql as S, end: () => void (ended = true) };
}
