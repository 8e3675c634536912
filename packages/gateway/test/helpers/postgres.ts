import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { withDefaultUser } from '../../src/store/postgres.js';

/** The PostgreSQL the suite may use, or undefined: tests that need it skip with a message. */
export const testDatabaseUrl = process.env.PORTCULLIS_TEST_DATABASE_URL;

export function skipMessage(what: string): void {
  if (!testDatabaseUrl) console.log(`[skipped] ${what}: set PORTCULLIS_TEST_DATABASE_URL to run them against PostgreSQL`);
}

/** A schema name of its own per test file: other suites share the server. */
export function randomSchema(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** A plain client on the test database, outside any gateway, for what a test does behind its back. */
export async function withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDefaultUser(testDatabaseUrl as string) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  if (testDatabaseUrl) await withClient((client) => client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
}
