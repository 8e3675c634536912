import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import { dropSchema, randomSchema, skipMessage, testDatabaseUrl } from '../helpers/postgres.js';

skipMessage('keyring rotation across instances');

/** Two gateways on one PostgreSQL schema: a keyring rotation at one is learned by the other. */
describe.skipIf(!testDatabaseUrl)('keyring rotation across instances (PostgreSQL)', () => {
  const schema = randomSchema('pc_keyring');
  const env = { PORTCULLIS_DATABASE_URL: testDatabaseUrl, PORTCULLIS_MASTER_KEY: randomBytes(32).toString('base64') };
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    a = await startTestGateway({}, env, { databaseSchema: schema });
    b = await startTestGateway({}, env, { databaseSchema: schema });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await dropSchema(schema);
  });

  it('rotated at A, B encrypts under the new data key within a second, and each reads the other', async () => {
    const before = await b.gateway.keyring.encrypt('sealed before', 'test:before');
    const token = readFileSync(`${a.dataDir}/admin.token`, 'utf8').trim();
    const reply = await a.admin('/admin/v1/keyring/rotate', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(reply.status, reply.text).toBe(200);
    const { dataKeyId } = reply.json() as { dataKeyId: string };
    expect(a.gateway.keyring.activeKeyId).toBe(dataKeyId);

    const start = Date.now();
    while (b.gateway.keyring.activeKeyId !== dataKeyId) {
      if (Date.now() - start > 1_000) throw new Error('B still encrypts under the old data key');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const fromB = await b.gateway.keyring.encrypt('sealed by B', 'test:b');
    expect(fromB.split('.')[1]).toBe(dataKeyId);
    expect((await a.gateway.keyring.decrypt(fromB, 'test:b')).toString()).toBe('sealed by B');
    const fromA = await a.gateway.keyring.encrypt('sealed by A', 'test:a');
    expect((await b.gateway.keyring.decrypt(fromA, 'test:a')).toString()).toBe('sealed by A');
    expect((await a.gateway.keyring.decrypt(before, 'test:before')).toString()).toBe('sealed before');
  });
});
