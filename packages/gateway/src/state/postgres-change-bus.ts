import { EventEmitter } from 'node:events';
import type pg from 'pg';
import type { Logger } from '../observe/logger.js';
import { loadPg, redactor, withDefaultUser } from '../store/postgres.js';
import { isChangeEvent, transactionWithEvents } from './change-bus.js';
import type { ChangeBus, ChangeEvent } from './change-bus.js';

const CHANNEL = 'portcullis_changes';

/**
 * Change events between instances that share one PostgreSQL, over LISTEN/NOTIFY: a revocation at one
 * instance drops the cached key at every instance within milliseconds. NOTIFY is part of the change's
 * transaction. If the listening connection drops, events may be lost: on reconnect every listener gets
 * `resync` and drops its whole cache. (With redis.url, a Redis bus can stand in for this.)
 */
export async function createPostgresChangeBus(options: { url: string; logger: Logger }): Promise<ChangeBus> {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  const { redact } = redactor(options.url);
  const { Client } = await loadPg();
  let client: pg.Client | undefined;
  let closed = false;
  let retryMs = 250;
  let retryTimer: NodeJS.Timeout | undefined;

  async function connect(): Promise<void> {
    const next = new Client({ connectionString: withDefaultUser(options.url), application_name: 'portcullis-changes' });
    next.on('notification', (message) => {
      try {
        const event: unknown = JSON.parse(message.payload ?? '');
        if (isChangeEvent(event)) emitter.emit('change', event);
      } catch {
        // not ours: ignore
      }
    });
    next.on('error', (error) => {
      options.logger.warn({ err: { message: redact(error.message) } }, 'change-event connection failed; reconnecting');
      void next.end().catch(() => undefined);
      if (client === next) reconnectSoon();
    });
    await next.connect();
    await next.query(`LISTEN ${CHANNEL}`);
    client = next;
    retryMs = 250;
  }

  function reconnectSoon(): void {
    client = undefined;
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connect()
        .then(() => emitter.emit('change', { kind: 'resync' } satisfies ChangeEvent))
        .catch((error: Error) => {
          options.logger.warn({ err: { message: redact(error.message) }, retryMs }, 'change-event connection failed; retrying');
          retryMs = Math.min(retryMs * 2, 30_000);
          reconnectSoon();
        });
    }, retryMs);
    retryTimer.unref();
  }

  await connect();
  return {
    // NOTIFY is transactional: the server queues it with the transaction and sends it when (and only
    // when) it commits, so no crash between commit and announcement can leave a stale cache elsewhere.
    // This instance also hears its own notification; dropping a cache entry twice is harmless.
    transaction: (db, work) =>
      transactionWithEvents(db, emitter, async (tx, event) => void (await tx.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify(event)])), work),
    subscribe(listener) {
      emitter.on('change', listener);
      return () => emitter.off('change', listener);
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      emitter.removeAllListeners();
      await client?.end().catch(() => undefined);
    },
  };
}
