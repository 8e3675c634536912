import { EventEmitter } from 'node:events';
import type { Database, Sql } from '../store/sql.js';

/**
 * What changed in durable state, so every instance can drop what it cached about it. In-process for one
 * instance; over PostgreSQL LISTEN/NOTIFY (or, later, Redis) across a cluster.
 */
export type ChangeEvent =
  | { readonly kind: 'api-key'; readonly id: string }
  | { readonly kind: 'consumer'; readonly id: string }
  /** The keyring has a new active data key: re-read it (Keyring.refresh). */
  | { readonly kind: 'keyring' }
  | { readonly kind: 'oauth-client'; readonly id: string }
  /** An access token revoked by its `jti`: refused until it expires. */
  | { readonly kind: 'access-token'; readonly id: string }
  /** A signing key was added: reload the key set (the id is the new key's kid). */
  | { readonly kind: 'signing-key'; readonly id: string }
  /** Events may have been missed (the bus reconnected): drop everything cached. */
  | { readonly kind: 'resync' };

const ID_KINDS = new Set(['api-key', 'consumer', 'oauth-client', 'access-token', 'signing-key']);

export function isChangeEvent(value: unknown): value is ChangeEvent {
  const v = value as { kind?: unknown; id?: unknown } | null;
  if (!v || typeof v !== 'object') return false;
  if (v.kind === 'resync' || v.kind === 'keyring') return true;
  return ID_KINDS.has(v.kind as string) && typeof v.id === 'string' && v.id.length <= 64;
}

/** Announces a change as part of the transaction it runs in. */
export type Publish = (event: ChangeEvent) => Promise<void>;

export interface ChangeBus {
  /**
   * Runs `work` in one transaction of `db`. What it publishes travels with the transaction: every
   * instance hears of it if and only if it commits, even when this process dies right after the
   * commit. This instance's listeners hear of it as soon as the commit returns.
   */
  transaction<T>(db: Database, work: (tx: Sql, publish: Publish) => Promise<T>): Promise<T>;
  subscribe(listener: (event: ChangeEvent) => void): () => void;
  close(): Promise<void>;
}

/**
 * The shared part of both buses: `enlist` makes an event part of the transaction (nothing for one
 * process; pg_notify on PostgreSQL), and after the commit this instance's listeners get it at once.
 */
export function transactionWithEvents<T>(
  db: Database,
  emitter: EventEmitter,
  enlist: (tx: Sql, event: ChangeEvent) => Promise<void>,
  work: (tx: Sql, publish: Publish) => Promise<T>,
): Promise<T> {
  const events: ChangeEvent[] = [];
  return db
    .transaction((tx) =>
      work(tx, async (event) => {
        await enlist(tx, event);
        events.push(event);
      }),
    )
    .then((result) => {
      for (const event of events) emitter.emit('change', event);
      return result;
    });
}

/** One instance: events are delivered after the commit, in this process only. */
export function createInProcessChangeBus(): ChangeBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    transaction: (db, work) => transactionWithEvents(db, emitter, async () => undefined, work),
    subscribe(listener) {
      emitter.on('change', listener);
      return () => emitter.off('change', listener);
    },
    async close() {
      emitter.removeAllListeners();
    },
  };
}
