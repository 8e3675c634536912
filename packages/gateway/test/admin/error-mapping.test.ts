import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminProblemFor } from '../../src/admin/errors.js';
import { openEmbeddedDatabase } from '../../src/store/embedded.js';
import { migrate } from '../../src/store/migrate.js';
import type { Database } from '../../src/store/sql.js';

/** The mapping itself, for errors the HTTP tests (errors.test.ts) cannot provoke on demand. */
describe('adminProblemFor', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openEmbeddedDatabase({});
    await migrate(db);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('answers a unique violation that reaches it (a lost race) with 409 conflict, not 500', async () => {
    const error: unknown = await db
      .query("INSERT INTO consumers (id, name) VALUES ('con_a', 'twin'), ('con_b', 'twin')")
      .catch((caught: unknown) => caught);
    expect((error as { code?: string }).code).toBe('23505');
    expect(adminProblemFor(error)).toEqual({ problem: { code: 'conflict' }, internal: false });
  });

  it('answers anything unexpected with a bare 500 and marks it for the log', () => {
    expect(adminProblemFor(new Error('boom: SELECT secret FROM somewhere'))).toEqual({ problem: { code: 'internal' }, internal: true });
  });
});
