import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { ConsoleClient } from '../helpers/console.js';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import type { SessionStartIdentity } from '../../src/console/session-actor.js';

/**
 * startSession, as single sign-on calls it once the IdP's answer is verified: a plain HTTP server stands
 * in for the SSO endpoint, and the cookie it sets is then used against the real admin API over TLS.
 */
describe('startSession (the seam for single sign-on)', () => {
  let gw: TestGateway;
  let sso: Server;
  let ssoUrl: string;

  beforeAll(async () => {
    gw = await startTestGateway();
    sso = createServer((req, res) => {
      const identity = JSON.parse(decodeURIComponent(new URL(req.url ?? '/', 'http://x').searchParams.get('identity') ?? '{}')) as SessionStartIdentity;
      gw.gateway.console.sessions.startSession(req, res, identity).then(
        () => res.end('ok'),
        (error: Error) => {
          res.statusCode = 500;
          res.end(error.message);
        },
      );
    });
    await new Promise<void>((resolve) => sso.listen(0, '127.0.0.1', resolve));
    ssoUrl = `http://127.0.0.1:${(sso.address() as { port: number }).port}/`;
  });
  afterAll(async () => {
    sso?.close();
    await gw?.stop();
  });

  async function start(identity: SessionStartIdentity, cookie?: string): Promise<string> {
    const res = await request(`${ssoUrl}?identity=${encodeURIComponent(JSON.stringify(identity))}`, { headers: cookie ? { cookie } : {} });
    await res.body.text();
    expect(res.statusCode).toBe(200);
    return String(res.headers['set-cookie']).split(';')[0] as string;
  }

  it('signs a verified SSO identity in with its mapped role, and rotates any session the browser held', async () => {
    const client = new ConsoleClient(gw);
    client.cookie = await start({ ssoSubject: 'okta:00u1', role: 'auditor', mfaDone: true });
    const session = await client.send('GET', '/console/api/session');
    expect(session.json()).toMatchObject({ stage: 'active', role: 'auditor', subject: 'sso:okta:00u1' });
    expect((await client.send('GET', '/admin/v1/audit')).status).toBe(200);
    expect((await client.send('POST', '/admin/v1/consumers', { name: 'by-sso-auditor' })).status).toBe(403);

    const before = client.cookie;
    const after = await start({ ssoSubject: 'okta:00u1', role: 'auditor', mfaDone: true }, before);
    expect(after).not.toBe(before);
    const stale = new ConsoleClient(gw);
    stale.cookie = before;
    expect((await stale.send('GET', '/admin/v1/audit')).status).toBe(401);
  });

  it('does not let a session whose MFA was not done reach the admin API', async () => {
    const client = new ConsoleClient(gw);
    client.cookie = await start({ ssoSubject: 'okta:00u2', role: 'admin', mfaDone: false });
    expect((await client.send('GET', '/console/api/session')).json()).toMatchObject({ stage: 'mfa' });
    expect((await client.send('GET', '/admin/v1/consumers')).status).toBe(401);
  });
});
