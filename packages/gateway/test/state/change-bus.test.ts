import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/credentials/issue-key.js';
import { createConsumer } from '../../src/credentials/consumers.js';
import type { CredentialDeps } from '../../src/credentials/deps.js';
import { revokeApiKey } from '../../src/credentials/revoke-key.js';
import { createInProcessChangeBus } from '../../src/state/change-bus.js';
import type { ChangeBus, ChangeEvent } from '../../src/state/change-bus.js';
import { createPostgresChangeBus } from '../../src/state/postgres-change-bus.js';
import { openEmbeddedDatabase } from '../../src/store/embedded.js';
import { migrate } from '../../src/store/migrate.js';
import { openPostgresDatabase } from '../../src/store/postgres.js';
import type { Database } from '../../src/store/sql.js';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import { captureLogs } from '../helpers/log-capture.js';
import { dropSchema, randomSchema, skipMessage, testDatabaseUrl } from '../helpers/postgres.js';
import { startRecordingUpstream } from '../helpers/upstream.js';

skipMessage('change events on PostgreSQL (crash window, rollback)');

/**
 * The process dies right after COMMIT: nothing the code meant to do after the commit returns ever
 * runs. (A Database whose transaction commits for real, then never hands control back.)
 */
function diesAfterCommit(db: Database): Database {
  return {
    kind: db.kind,
    query: (text, params) => db.query(text, params),
    transaction: async (work) => {
      await db.transaction(work);
      return new Promise<never>(() => undefined);
    },
    copyFrom: (table, columns, rows) => db.copyFrom(table, columns, rows),
    ping: () => db.ping(),
    close: () => db.close(),
  };
}

const uniqueId = () => `k${randomBytes(8).toString('hex')}`;

function recorder(bus: ChangeBus) {
  const seen: ChangeEvent[] = [];
  bus.subscribe((event) => seen.push(event));
  return {
    seen,
    ids: () => seen.flatMap((e) => ('id' in e ? [e.id] : [])),
    async waitFor(id: string, limitMs = 2_000): Promise<void> {
      const start = Date.now();
      while (!seen.some((e) => 'id' in e && e.id === id)) {
        if (Date.now() - start > limitMs) throw new Error(`no event for ${id} within ${limitMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
}

describe('in-process change bus (embedded store)', () => {
  let db: Database;
  let bus: ChangeBus;
  beforeAll(async () => {
    db = await openEmbeddedDatabase({});
    await migrate(db);
    bus = createInProcessChangeBus();
  });
  afterAll(async () => {
    await bus?.close();
    await db?.close();
  });

  it('delivers what a transaction published once it commits, and nothing of a rolled-back one', async () => {
    const events = recorder(bus);
    const [committed, rolledBack] = [uniqueId(), uniqueId()];
    let seenInside: string[] = [];
    await bus.transaction(db, async (_tx, publish) => {
      await publish({ kind: 'api-key', id: committed });
      seenInside = events.ids();
    });
    expect(seenInside).toEqual([]); // not before the commit
    expect(events.ids()).toEqual([committed]);
    await expect(
      bus.transaction(db, async (_tx, publish) => {
        await publish({ kind: 'api-key', id: rolledBack });
        throw new Error('the work failed');
      }),
    ).rejects.toThrow('the work failed');
    expect(events.ids()).toEqual([committed]);
  });
});

describe.skipIf(!testDatabaseUrl)('change events on PostgreSQL travel with the transaction', () => {
  const url = testDatabaseUrl as string;
  const schema = randomSchema('pc_bus');
  const logs = captureLogs();
  let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
  let b: TestGateway;
  let dbA: Database;
  let busA: ChangeBus;
  let busB: ChangeBus;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    const env = { PORTCULLIS_DATABASE_URL: url, PORTCULLIS_MASTER_KEY: randomBytes(32).toString('base64') };
    const services = [{ name: 'api', upstream: upstream.url, routes: [{ match: 'GET /things', scopes: ['things:read'] }] }];
    b = await startTestGateway({ services }, env, { databaseSchema: schema });
    dbA = await openPostgresDatabase({ url, schema, max: 4 });
    busA = await createPostgresChangeBus({ url, logger: logs.logger });
    busB = await createPostgresChangeBus({ url, logger: logs.logger });
  });
  afterAll(async () => {
    await busA?.close();
    await busB?.close();
    await dbA?.close();
    await b?.stop();
    await upstream?.close();
    await dropSchema(schema);
  });

  it('an instance that dies right after committing a revocation has still told the others', async () => {
    const deps = b.gateway.credentials;
    const consumer = await createConsumer(deps, 'test', `crash-${uniqueId()}`);
    const issued = await createApiKey(deps, 'test', consumer.id, { scopes: ['things:read'], allowedIps: [], allowedOrigins: [] });
    const call = () => b.call('/things', { headers: { 'x-api-key': issued.value } });
    expect((await call()).status).toBe(200); // now cached at b: only a change event can stop it there

    const dying: CredentialDeps = { ...deps, db: diesAfterCommit(dbA), bus: busA };
    void revokeApiKey(dying, 'test', issued.key.id); // never returns: the process "died" after COMMIT
    const start = Date.now();
    while ((await call()).status !== 401) {
      if (Date.now() - start > 2_000) throw new Error('the revocation committed at A never reached B');
    }
    const [row] = await dbA.query<{ revoked: boolean }>('SELECT revoked_at IS NOT NULL AS revoked FROM api_keys WHERE id = $1', [issued.key.id]);
    expect(row?.revoked).toBe(true);
  });

  it('a rolled-back transaction notifies nothing; a committed one after it is delivered', async () => {
    const events = recorder(busB);
    const [rolledBack, committed] = [uniqueId(), uniqueId()];
    await expect(
      busA.transaction(dbA, async (_tx, publish) => {
        await publish({ kind: 'api-key', id: rolledBack });
        throw new Error('the work failed');
      }),
    ).rejects.toThrow('the work failed');
    await busA.transaction(dbA, (_tx, publish) => publish({ kind: 'api-key', id: committed }));
    // NOTIFY is delivered in commit order: had the rolled-back one been sent, it would be here already.
    await events.waitFor(committed);
    expect(events.ids()).toContain(committed);
    expect(events.ids()).not.toContain(rolledBack);
  });

  it('publishing inside the transaction reaches the other instance only after the commit', async () => {
    const events = recorder(busB);
    const id = uniqueId();
    await busA.transaction(dbA, async (_tx, publish) => {
      await publish({ kind: 'api-key', id });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(events.ids()).not.toContain(id);
    });
    await events.waitFor(id);
  });
});
