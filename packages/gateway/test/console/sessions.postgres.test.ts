import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleClient, OWNER_PASSWORD, totpAt } from '../helpers/console.js';
import { FakeClock, startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import { dropSchema, randomSchema, skipMessage, testDatabaseUrl } from '../helpers/postgres.js';

skipMessage('console sessions shared by two instances on PostgreSQL');

/** Two instances on one PostgreSQL: sessions, used TOTP codes and logouts are the store's, not an instance's. */
describe.skipIf(!testDatabaseUrl)('console sessions on PostgreSQL, across instances', () => {
  const schema = randomSchema('pc_console');
  const clock = new FakeClock(Date.UTC(2026, 0, 5, 9, 0, 0));
  let a: TestGateway;
  let b: TestGateway;
  let secret: string;

  beforeAll(async () => {
    const env = { PORTCULLIS_DATABASE_URL: testDatabaseUrl as string, PORTCULLIS_MASTER_KEY: randomBytes(32).toString('base64') };
    a = await startTestGateway({}, env, { databaseSchema: schema, clock: clock.read });
    b = await startTestGateway({}, env, { databaseSchema: schema, clock: clock.read });
    // The second instance started before the owner enrolled: its link replaced the first one's.
    expect(b.gateway.console.setupUrl).toBeDefined();
    ({ secret } = await new ConsoleClient(b).enrol(b.gateway.console.setupUrl as string, clock.now));
  }, 60_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await dropSchema(schema);
  });

  it('refuses the first instance\'s setup link once the second printed a newer one', async () => {
    const reply = await new ConsoleClient(a).send('POST', '/console/api/setup', { token: new URL(a.gateway.console.setupUrl as string).hash.slice(7) });
    expect(reply.status).toBe(401);
  });

  it('accepts a session signed in at one instance at the other, and ends it everywhere at logout', async () => {
    clock.advance(30_000);
    const atA = new ConsoleClient(a);
    expect((await atA.signIn('owner', OWNER_PASSWORD, totpAt(secret, clock.now))).status).toBe(200);
    const atB = new ConsoleClient(b);
    atB.cookie = atA.cookie;
    atB.csrf = atA.csrf;
    expect((await atB.send('POST', '/admin/v1/consumers', { name: 'made-at-b' })).status).toBe(201);
    expect((await atB.send('POST', '/console/api/logout', {})).status).toBe(200);
    expect((await atA.send('GET', '/admin/v1/consumers')).status).toBe(401);
  });

  it('refuses at one instance a TOTP code already used at the other', async () => {
    clock.advance(30_000);
    const code = totpAt(secret, clock.now);
    expect((await new ConsoleClient(a).signIn('owner', OWNER_PASSWORD, code)).status).toBe(200);
    expect((await new ConsoleClient(b).signIn('owner', OWNER_PASSWORD, code)).status).toBe(401);
  });
});
