import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleClient, OWNER_PASSWORD, totpAt } from '../helpers/console.js';
import { FakeClock, HOUR, startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';

const STEP = 30_000;
const ADDRESS_A = '203.0.113.9';
const ADDRESS_B = '198.51.100.7';

describe('console sign-in (HTTP)', () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 5, 9, 0, 0));
  let gw: TestGateway;
  let setupUrl: string;
  let secret: string;
  let recoveryCodes: string[];

  beforeAll(async () => {
    // A trusted proxy lets the tests speak from several client addresses (X-Forwarded-For).
    gw = await startTestGateway({ trustedProxies: ['127.0.0.1/32', '::1/128'] }, {}, { clock: clock.read });
    setupUrl = gw.gateway.console.setupUrl as string;

    const owner = new ConsoleClient(gw);
    ({ secret, recoveryCodes } = await owner.enrol(setupUrl, clock.now));
  });
  afterAll(async () => {
    await gw?.stop();
  });

  /** A fresh browser at an address, signed in as the owner with the next TOTP code. */
  async function signedIn(address = ADDRESS_B): Promise<ConsoleClient> {
    clock.advance(STEP);
    const client = new ConsoleClient(gw, { 'x-forwarded-for': address });
    const reply = await client.signIn('owner', OWNER_PASSWORD, totpAt(secret, clock.now));
    expect(reply.status).toBe(200);
    return client;
  }

  it('prints a one-time setup link at first start that works once, with the token only in the fragment', async () => {
    expect(setupUrl).toMatch(new RegExp(`^${gw.gateway.adminUrl}/console/setup#token=[A-Za-z0-9_-]{43}$`));
    const again = new ConsoleClient(gw);
    const reply = await again.send('POST', '/console/api/setup', { token: new URL(setupUrl).hash.slice('#token='.length) });
    expect(reply.status).toBe(401);
    expect(recoveryCodes).toHaveLength(10);
  });

  it('refuses an expired setup link', async () => {
    const owner = await signedIn();
    const created = await owner.send('POST', '/admin/v1/users', { username: 'late', role: 'developer' });
    expect(created.status).toBe(201);
    const { setupPath } = created.json() as { setupPath: string };
    clock.advance(HOUR + 1);
    const reply = await new ConsoleClient(gw).send('POST', '/console/api/setup', { token: setupPath.split('#token=')[1] });
    expect(reply.status).toBe(401);
  });

  it('does not let a session reach the admin API before its MFA step is done', async () => {
    clock.advance(STEP);
    const client = new ConsoleClient(gw, { 'x-forwarded-for': ADDRESS_B });
    const login = await client.send('POST', '/console/api/login', { username: 'owner', password: OWNER_PASSWORD });
    expect(login.status).toBe(200);
    expect(login.json()).toMatchObject({ stage: 'mfa' });
    expect((await client.send('GET', '/admin/v1/consumers')).status).toBe(401);
    expect((await client.send('POST', '/admin/v1/consumers', { name: 'too-early' })).status).toBe(401);
  });

  it('refuses a TOTP code that was already used, even within its time window', async () => {
    clock.advance(STEP);
    const code = totpAt(secret, clock.now);
    const first = new ConsoleClient(gw, { 'x-forwarded-for': ADDRESS_B });
    expect((await first.signIn('owner', OWNER_PASSWORD, code)).status).toBe(200);
    const second = new ConsoleClient(gw, { 'x-forwarded-for': ADDRESS_B });
    const reply = await second.signIn('owner', OWNER_PASSWORD, code);
    expect(reply.status).toBe(401);
    expect(reply.json()).toMatchObject({ status: 401 });
    expect((await second.send('GET', '/admin/v1/consumers')).status).toBe(401);
  });

  it('accepts a recovery code once', async () => {
    const [code] = recoveryCodes;
    const first = new ConsoleClient(gw, { 'x-forwarded-for': ADDRESS_B });
    expect((await first.signIn('owner', OWNER_PASSWORD, code as string)).status).toBe(200);
    const second = new ConsoleClient(gw, { 'x-forwarded-for': ADDRESS_B });
    expect((await second.signIn('owner', OWNER_PASSWORD, code as string)).status).toBe(401);
  });

  it('refuses a state-changing request without its CSRF token, and accepts it with the token', async () => {
    const client = await signedIn();
    const refused = await client.send('POST', '/admin/v1/consumers', { name: 'csrf-less' }, { csrf: false });
    expect(refused.status).toBe(403);
    const wrong = await client.send('POST', '/admin/v1/consumers', { name: 'csrf-wrong' }, { csrf: false });
    expect(wrong.status).toBe(403);
    expect((await client.send('GET', '/admin/v1/consumers')).json()).toMatchObject({ consumers: [] });
    expect((await client.send('POST', '/admin/v1/consumers', { name: 'csrf-ok' })).status).toBe(201);
    // Logging out is a state change too.
    expect((await client.send('POST', '/console/api/logout', {}, { csrf: false })).status).toBe(403);
  });

  it('refuses a sign-in POST from another origin', async () => {
    const client = new ConsoleClient(gw, { origin: 'https://evil.example' });
    const reply = await client.send('POST', '/console/api/login', { username: 'owner', password: OWNER_PASSWORD });
    expect(reply.status).toBe(403);
  });

  it('follows returnTo only inside the console (no open redirect)', async () => {
    const next = async (returnTo: string) => {
      const client = new ConsoleClient(gw, { 'x-forwarded-for': ADDRESS_B });
      const reply = await client.send('POST', '/console/api/login', { username: 'owner', password: OWNER_PASSWORD, returnTo });
      return (reply.json() as { next: string }).next;
    };
    expect(await next('/console/keys?consumer=con_1')).toBe('/console/keys?consumer=con_1');
    for (const evil of ['https://evil.example/', '//evil.example/console/', '/\\evil.example', '/console/../../evil', 'javascript:alert(1)', '/console/\t/evil', '/admin/v1/keys']) {
      expect(await next(evil), evil).toMatch(/^\/console(\/|$)/);
      expect(await next(evil), evil).not.toContain('evil.example');
    }
    expect(await next('/console/../admin')).toBe('/console/');
  });

  it('rotates the session id at each sign-in step, and the old id stops working', async () => {
    clock.advance(STEP);
    const client = new ConsoleClient(gw, { 'x-forwarded-for': ADDRESS_B });
    await client.send('POST', '/console/api/login', { username: 'owner', password: OWNER_PASSWORD });
    const beforeMfa = client.cookie;
    await client.send('POST', '/console/api/mfa', { code: totpAt(secret, clock.now) });
    expect(client.cookie).toBeDefined();
    expect(client.cookie).not.toBe(beforeMfa);
    const stale = new ConsoleClient(gw);
    stale.cookie = beforeMfa;
    expect((await stale.send('GET', '/console/api/session')).status).toBe(401);
    // A session id planted before sign-in (fixation) is not the one that gets signed in.
    const planted = client.cookie;
    clock.advance(STEP);
    await client.signIn('owner', OWNER_PASSWORD, totpAt(secret, clock.now));
    expect(client.cookie).not.toBe(planted);
    const old = new ConsoleClient(gw);
    old.cookie = planted;
    expect((await old.send('GET', '/admin/v1/consumers')).status).toBe(401);
  });

  it('sets the cookie HttpOnly, Secure, SameSite=Strict with the __Host- prefix', async () => {
    clock.advance(STEP);
    const reply = await gw.admin('/console/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ADDRESS_B },
      body: JSON.stringify({ username: 'owner', password: OWNER_PASSWORD }),
    });
    const cookie = String(reply.headers['set-cookie']);
    expect(cookie).toMatch(/^__Host-portcullis-session=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Strict$/);
  });

  it('ends the session on the server at logout', async () => {
    const client = await signedIn();
    const cookie = client.cookie;
    expect((await client.send('POST', '/console/api/logout', {})).status).toBe(200);
    const replay = new ConsoleClient(gw);
    replay.cookie = cookie;
    expect((await replay.send('GET', '/admin/v1/consumers')).status).toBe(401);
  });

  it('ends a session idle for longer than console.session.idleTimeout', async () => {
    const client = await signedIn();
    clock.advance(29 * 60_000);
    expect((await client.send('GET', '/admin/v1/consumers')).status).toBe(200);
    clock.advance(30 * 60_000);
    expect((await client.send('GET', '/admin/v1/consumers')).status).toBe(401);
  });

  it('ends a session at console.session.absoluteTimeout however busy it is', async () => {
    const client = await signedIn();
    for (let elapsed = 0; elapsed < 12 * HOUR - 25 * 60_000; elapsed += 25 * 60_000) {
      clock.advance(25 * 60_000);
      expect((await client.send('GET', '/admin/v1/consumers')).status).toBe(200);
    }
    clock.advance(25 * 60_000);
    expect((await client.send('GET', '/admin/v1/consumers')).status).toBe(401);
  });

  it('throttles guesses per user name and address, without locking the user out from elsewhere', async () => {
    clock.advance(STEP);
    const attacker = new ConsoleClient(gw, { 'x-forwarded-for': ADDRESS_A });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await attacker.send('POST', '/console/api/login', { username: 'owner', password: `guess ${i} guess guess` })).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    const throttled = await attacker.send('POST', '/console/api/login', { username: 'owner', password: OWNER_PASSWORD });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    // The real owner, at another address, signs in at once.
    const owner = await signedIn(ADDRESS_B);
    expect((await owner.send('GET', '/admin/v1/consumers')).status).toBe(200);
    // The wait doubles with each failure, up to console.login.maxDelay; then the attacker may try again.
    clock.advance(15 * 60_000 + 1);
    expect((await attacker.send('POST', '/console/api/login', { username: 'owner', password: 'still wrong, still wrong' })).status).toBe(401);
  });

  it('lets an owner add users, never above their own role, and an auditor write nothing', async () => {
    const owner = await signedIn();
    const created = await owner.send('POST', '/admin/v1/users', { username: 'Audrey', role: 'auditor' });
    expect(created.status).toBe(201);
    const user = created.json() as { id: string; username: string; setupPath: string };
    expect(user.username).toBe('audrey');
    const auditor = new ConsoleClient(gw, { 'x-forwarded-for': ADDRESS_B });
    const enrolled = await auditor.enrol(`${gw.gateway.adminUrl}${user.setupPath}`, clock.now, 'an auditor reads everything 1');
    expect((await auditor.send('GET', '/admin/v1/audit')).status).toBe(200);
    expect((await auditor.send('POST', '/admin/v1/consumers', { name: 'by-auditor' })).status).toBe(403);
    expect((await auditor.send('GET', '/admin/v1/users')).status).toBe(403);
    expect(enrolled.recoveryCodes).toHaveLength(10);

    // An admin cannot make an owner; nobody grants above their own role.
    const adminUser = (await owner.send('POST', '/admin/v1/users', { username: 'ada', role: 'admin' })).json() as { setupPath: string; id: string };
    const admin = new ConsoleClient(gw, { 'x-forwarded-for': ADDRESS_B });
    await admin.enrol(`${gw.gateway.adminUrl}${adminUser.setupPath}`, clock.now, 'an admin manages people 22');
    expect((await admin.send('POST', '/admin/v1/users', { username: 'eve', role: 'owner' })).status).toBe(403);
    expect((await admin.send('POST', `/admin/v1/users/${adminUser.id}/role`, { role: 'owner' })).status).toBe(403);
    expect((await admin.send('POST', '/admin/v1/users', { username: 'dev', role: 'developer' })).status).toBe(201);

    // Disabling a user ends their sessions at once.
    expect((await owner.send('POST', `/admin/v1/users/${user.id}/disable`, {})).status).toBe(200);
    expect((await auditor.send('GET', '/admin/v1/audit')).status).toBe(401);
  });

  it('never writes a password, TOTP secret, setup token or session id to the log', () => {
    const text = gw.logs.text();
    expect(text).not.toContain(OWNER_PASSWORD);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(new URL(setupUrl).hash.slice('#token='.length));
    for (const code of recoveryCodes) expect(text).not.toContain(code);
  });
});
