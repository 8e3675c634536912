import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { openPostgresDatabase, redactor } from '../../src/store/postgres.js';
import type { Database } from '../../src/store/sql.js';
import { describeDatabase, expectStoreError } from './database.case.js';

const url = process.env.PORTCULLIS_TEST_DATABASE_URL;
if (!url) {
  console.warn(
    'PostgreSQL store suite skipped: PORTCULLIS_TEST_DATABASE_URL is not set (e.g. postgres://127.0.0.1:5432/test).',
  );
}

/** A fresh schema per test file (and per test that needs one), dropped at the end of the file. */
const schemas: string[] = [];
const freshSchema = (): string => {
  const schema = `portcullis_test_${randomBytes(6).toString('hex')}`;
  schemas.push(schema);
  return schema;
};
afterAll(async () => {
  if (!url || schemas.length === 0) return;
  const admin = await openPostgresDatabase({ url, max: 1 });
  try {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await admin.close();
  }
});

describeDatabase('postgres', () => openPostgresDatabase({ url: url ?? '', schema: freshSchema(), max: 4 }), {
  skip: !url,
});

describe.skipIf(!url)('postgres: concurrent instances', () => {
  const open: Database[] = [];
  afterAll(async () => {
    await Promise.all(open.map((db) => db.close()));
  });

  it('two migrate() calls on two pools and one fresh schema both succeed and apply each migration once', async () => {
    const schema = freshSchema();
    const [a, b] = await Promise.all([0, 1].map(() => openPostgresDatabase({ url: url ?? '', schema, max: 2 })));
    open.push(a!, b!);
    const [ra, rb] = await Promise.all([migrate(a!), migrate(b!)]);
    // The lock serialises them: one applies everything, the other then finds nothing to do.
    expect([...ra!.applied, ...rb!.applied]).toEqual(MIGRATIONS.map((m) => m.id));
    const recorded = await a!.query<{ id: string; n: string }>(
      'SELECT id, count(*) AS n FROM schema_migrations GROUP BY id ORDER BY id',
    );
    expect(recorded).toEqual(MIGRATIONS.map((m) => ({ id: m.id, n: '1' })));
  });
});

describe('postgres options and connection errors', () => {
  it('rejects a schema name that is not a plain identifier, before connecting', async () => {
    const error = await openPostgresDatabase({ url: 'postgres://127.0.0.1:1/x', schema: 'x"; DROP TABLE y; --' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TypeError);
  });

  it('a connection error never carries the password', async () => {
    const error = await openPostgresDatabase({ url: 'postgres://u:s3cretpw@127.0.0.1:1/x' }).catch((e: unknown) => e);
    expectStoreError(error, 'unavailable');
    expect((error as Error).message).toContain('postgres://u:***@127.0.0.1:1/x');
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
    expect(inspect(error, { depth: 5 })).not.toContain('s3cretpw');
  });

  it('redacts the password in every spelling of it', () => {
    const { shown, redact } = redactor('postgres://u:p%40ss@db:5432/x?password=other');
    expect(shown).toBe('postgres://u:***@db:5432/x?password=***');
    expect(redact('p%40ss p@ss other postgres://u:p%40ss@db:5432/x?password=other')).not.toMatch(/p%40ss|p@ss|other/);
  });
});
