import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { withDefaultUser } from '../../src/store/postgres.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { startRecordingUpstream } from './upstream.js';
import { startTestGateway } from './gateway.js';
import type { TestGateway } from './gateway.js';

/**
 * Two gateway instances on one PostgreSQL (a fresh schema, dropped by `close`), sharing one master key,
 * in front of one recording upstream: `configure` gets the upstream URL.
 */
export async function startInstancePair(databaseUrl: string, schemaPrefix: string, configure: (upstreamUrl: string) => Partial<ConfigInput>) {
  const schema = `${schemaPrefix}_${randomBytes(6).toString('hex')}`;
  const env = { PORTCULLIS_DATABASE_URL: databaseUrl, PORTCULLIS_MASTER_KEY: randomBytes(32).toString('base64') };
  const upstream = await startRecordingUpstream();
  const config = configure(upstream.url);
  const a: TestGateway = await startTestGateway(config, env, { databaseSchema: schema });
  const b: TestGateway = await startTestGateway(config, env, { databaseSchema: schema });
  return {
    a,
    b,
    upstream,
    async close() {
      await a.stop();
      await b.stop();
      await upstream.close();
      const client = new pg.Client({ connectionString: withDefaultUser(databaseUrl) });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}
