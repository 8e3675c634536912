import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, fromEnv } from '../../src/index.js';
import { clientFor } from '../helpers/client.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { captureLogs } from '../helpers/log-capture.js';
import { json, startTestServer } from '../helpers/tls-server.js';
import type { TestServer } from '../helpers/tls-server.js';

const PASSWORD = 'login-password-planted-9c8b7a';
let server: TestServer;
let logins: number;
let clock: FakeClock;

beforeAll(async () => {
  server = await startTestServer(async (req, res, body) => {
    if (req.url === '/login') {
      const { user, password } = JSON.parse(body) as { user: string; password: string };
      if (user !== 'billing' || password !== PASSWORD) return json(401, {})(req, res, '');
      logins++;
      // A one-hour JWT whose lifetime is only in its `exp` claim.
      const jwt = await new SignJWT({ sub: user, n: logins })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime(Math.floor(clock.now() / 1000) + 3600)
        .sign(Buffer.from('server-side-key-0123456789abcdef'));
      return json(200, { token: jwt })(req, res, '');
    }
    json(req.headers.authorization?.startsWith('Bearer ey') ? 200 : 401, {})(req, res, '');
  });
});
afterAll(() => server.close());

describe('jwtLogin', () => {
  it('posts the credentials, reads the expiry from the JWT and logs in again 5 minutes before it', async () => {
    logins = 0;
    clock = new FakeClock();
    const logs = captureLogs();
    const { client } = clientFor(server, {
      clock,
      logger: logs.logger,
      auth: auth.jwtLogin({ url: `${server.url}/login`, credentials: { user: 'billing', password: fromEnv('LOGIN_PASSWORD', { LOGIN_PASSWORD: PASSWORD }) } }),
    });
    await Promise.all(Array.from({ length: 10 }, () => client.get('/reports')));
    expect(logins).toBe(1);
    clock.advance(54 * 60_000);
    await client.get('/reports');
    expect(logins).toBe(1);
    clock.advance(2 * 60_000);
    await client.get('/reports');
    expect(logins).toBe(2);
    expect(logs.text()).not.toContain(PASSWORD);
    await client.close();
  });

  it('a refused login is an AuthError and an auth_failure event', async () => {
    clock = new FakeClock();
    const { client } = clientFor(server, { clock, auth: auth.jwtLogin({ url: `${server.url}/login`, credentials: { user: 'billing', password: 'wrong-password-123' } }) });
    await expect(client.get('/reports')).rejects.toMatchObject({ name: 'AuthError', code: 'token_request_failed' });
    expect(client.counters.auth_failure).toBe(1);
    await client.close();
  });
});
