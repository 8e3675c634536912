import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestOidcProvider } from '../../helpers/oidc-idp.js';
import type { TestOidcProvider } from '../../helpers/oidc-idp.js';
import { createSsoHarness } from './sso-harness.js';
import type { SsoHarness, SsoInstance, TestBrowser } from './sso-harness.js';

/**
 * OpenID Connect sign-in to the console (authorization code, PKCE, state, nonce, openid-client) against
 * a local oidc-provider over HTTPS, with its groups claim mapped to a role.
 */

const CLIENT_ID = 'portcullis-console';
const SECRET = `oidc-secret-${randomBytes(16).toString('hex')}`;
const groupRoles = { 'pc-owners': 'owner', 'pc-admins': 'admin', 'pc-devs': 'developer', 'pc-audit': 'auditor' } as const;

let h: SsoHarness & { ports: number[] };
let idp: TestOidcProvider;
let a: SsoInstance;
let callbackUrl: string;
const browser = () => h.browser();

beforeAll(async () => {
  const harness = (h = await createSsoHarness());
  callbackUrl = `https://127.0.0.1:${harness.ports[0]}/console/sso/oidc/callback`;
  idp = await startTestOidcProvider({ cert: h.certs.cert, key: h.certs.key }, { clientId: CLIENT_ID, clientSecret: SECRET, redirectUri: callbackUrl });
  [a] = (await h.start(
    {
      oidc: {
        issuer: idp.issuer,
        clientId: CLIENT_ID,
        clientSecretEnv: 'PC_TEST_OIDC_SECRET',
        redirectUri: callbackUrl,
        scopes: ['openid', 'email', 'profile', 'groups'],
        groupRoles,
        ca: h.file('ca.pem', h.certs.ca),
      },
    },
    { PC_TEST_OIDC_SECRET: SECRET },
  )) as [SsoInstance];
}, 30_000);

afterAll(async () => {
  if (process.env.SSO_DEBUG) console.log(a.logLines.join('\n'));
  await idp?.close();
  await h?.close();
});

/** Starts a sign-in and goes through the IdP; returns the authorization URL and the callback URL it sent back. */
async function throughIdp(user: TestBrowser, returnTo = '/console/audit', rework: (authorize: URL) => void = () => {}) {
  const start = await user.request(`${a.origin}/console/sso/oidc/login?returnTo=${encodeURIComponent(returnTo)}`);
  expect(start.status, start.text).toBe(303);
  const authorize = new URL(start.location as string);
  rework(authorize);
  const back = await user.follow(authorize.href, (url) => url.startsWith(callbackUrl));
  expect(back.location?.startsWith(callbackUrl), back.text).toBe(true);
  return { authorize, callback: back.location as string };
}

const reasons = () => a.logLines.map((line) => JSON.parse(line) as { reason?: string }).flatMap((l) => (l.reason ? [l.reason] : []));

describe('OIDC sign-in', () => {
  it('signs in with code + PKCE + state + nonce, maps the groups claim to a role, and lands on returnTo', async () => {
    idp.user = { sub: 'carol', email: 'carol@example.com', groups: ['pc-audit', 'pc-devs'] };
    const user = browser();
    const { authorize, callback } = await throughIdp(user);
    expect(authorize.origin).toBe(idp.issuer);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(authorize.searchParams.get('state')).toMatch(/^[\w-]{40,}$/);
    expect(authorize.searchParams.get('nonce')).toMatch(/^[\w-]{40,}$/);

    const done = await user.request(callback);
    expect(done.status, done.text).toBe(303);
    expect(new URL(done.location as string).pathname).toBe('/console/audit');
    expect(a.signedIn.at(-1)?.identity).toEqual({ provider: 'oidc', subject: 'carol', email: 'carol@example.com', groups: ['pc-audit', 'pc-devs'], role: 'developer' });
    expect(user.cookies.has('__Host-portcullis-session')).toBe(true);
    expect(user.cookies.has('__Host-portcullis-sso')).toBe(false);

    // The answer is used once.
    const count = a.signedIn.length;
    const again = await user.request(callback);
    expect(again.status).toBe(403);
    expect(a.signedIn).toHaveLength(count);
  });

  it('refuses a state it never issued, and a state issued to another browser', async () => {
    const count = a.signedIn.length;
    const forged = await browser().request(`${callbackUrl}?code=abc&state=${'x'.repeat(43)}`);
    expect(forged.status).toBe(403);
    expect(reasons().at(-1)).toBe('wrong_state');

    idp.user = { sub: 'victim', email: 'victim@example.com', groups: ['pc-admins'] };
    const { callback } = await throughIdp(browser());
    const pushed = await browser().request(callback); // login CSRF: the victim's answer in the attacker's browser
    expect(pushed.status).toBe(403);
    expect(reasons().at(-1)).toBe('wrong_browser');
    expect(a.signedIn).toHaveLength(count);
  });

  it('refuses an ID token whose nonce is not the one this sign-in sent', async () => {
    const count = a.signedIn.length;
    idp.user = { sub: 'carol', email: 'carol@example.com', groups: ['pc-admins'] };
    const user = browser();
    const { callback } = await throughIdp(user, '/console/', (authorize) => authorize.searchParams.set('nonce', 'n'.repeat(43)));
    const reply = await user.request(callback);
    expect(reply.status).toBe(403);
    expect(reasons().at(-1)).toBe('invalid_token');
    expect(a.signedIn).toHaveLength(count);
  });

  it('refuses a person none of whose groups maps to a role', async () => {
    const count = a.signedIn.length;
    idp.user = { sub: 'dave', email: 'dave@example.com', groups: ['marketing'] };
    const user = browser();
    const { callback } = await throughIdp(user);
    const reply = await user.request(callback);
    expect(reply.status).toBe(403);
    expect(reply.text).toContain('No access to Portcullis');
    expect(a.signedIn).toHaveLength(count);
  });

  it('refuses returnTo outside the console before going to the IdP', async () => {
    const reply = await browser().request(`${a.origin}/console/sso/oidc/login?returnTo=${encodeURIComponent('https://evil.example/')}`);
    expect(reply.status).toBe(400);
    expect(reply.location).toBeNull();
  });

  it('answers a plain page when the IdP cannot be reached, and starts anyway', async () => {
    const [down] = (await h.start(
      { oidc: { issuer: 'https://127.0.0.1:1', clientId: CLIENT_ID, clientSecretEnv: 'PC_TEST_OIDC_SECRET', redirectUri: callbackUrl, groupRoles } },
      { PC_TEST_OIDC_SECRET: SECRET },
    )) as [SsoInstance];
    const reply = await browser().request(`${down.origin}/console/sso/oidc/login`);
    expect(reply.status).toBe(502);
    expect(reply.text).toContain('The identity provider could not be reached');
    expect(reply.location).toBeNull();
    expect(down.logLines.join('\n')).not.toContain(SECRET);
  });

  it('never puts the client secret in a log line or a URL', async () => {
    idp.user = { sub: 'erin', email: 'erin@example.com', groups: ['pc-owners'] };
    const user = browser();
    const { authorize, callback } = await throughIdp(user);
    expect((await user.request(callback)).status).toBe(303);
    expect(a.signedIn.at(-1)?.identity.role).toBe('owner');
    expect(authorize.href).not.toContain(SECRET);
    expect(callback).not.toContain(SECRET);
    expect(a.logLines.length).toBeGreaterThan(0);
    expect(a.logLines.join('\n')).not.toContain(SECRET);
  });
});
