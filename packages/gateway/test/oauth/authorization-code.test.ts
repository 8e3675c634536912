import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway } from '../helpers/gateway.js';
import { basic, createOAuthClient, fetchVia, postForm } from '../helpers/oauth.js';
import type { IssuedClient } from '../helpers/oauth.js';

const LOGIN = 'https://login.portcullis.test/login';
const CALLBACK = 'https://app.portcullis.test/callback';

let t: CredentialGateway;
let issued: IssuedClient;
let as: oauth.AuthorizationServer;
let client: oauth.Client;
let auth: oauth.ClientAuth;
let f: typeof fetch;

beforeAll(async () => {
  t = await startCredentialGateway((upstream) => ({
    oauth: { loginUrl: LOGIN },
    services: [{ name: 'companies', upstream, routes: [{ match: 'GET /companies/*', scopes: ['companies:read'] }] }],
  }));
  f = fetchVia(t.agent);
  issued = await createOAuthClient(t, { consumerId: await t.createConsumer(), scopes: ['companies:read', 'profile'], redirectUris: [CALLBACK] });
  const issuer = new URL(t.gateway.oauth.issuer);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.customFetch]: f }));
  client = { client_id: issued.client_id };
  auth = oauth.ClientSecretBasic(issued.client_secret as string);
});
afterAll(async () => {
  await t?.stop();
});

/** The browser's part: /oauth/authorize -> the login page, which approves `subject` via the admin API -> the callback. */
async function authorize(verifier: string, state: string, extra: Record<string, string> = {}): Promise<URL> {
  const url = new URL(as.authorization_endpoint as string);
  const params = {
    response_type: 'code', client_id: issued.client_id, redirect_uri: CALLBACK, scope: 'companies:read', state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', ...extra,
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const toLogin = await t.call(`${url.pathname}${url.search}`);
  expect(toLogin.status, toLogin.text).toBe(302);
  const login = new URL(toLogin.headers.location as string);
  expect(`${login.origin}${login.pathname}`).toBe(LOGIN);
  const approved = await t.admin('POST', `/admin/v1/authorizations/${login.searchParams.get('request_id')}/approve`, { subject: 'user-42' });
  expect(approved.status, approved.text).toBe(200);
  return new URL((approved.json() as { redirectTo: string }).redirectTo);
}

async function exchange(callback: URL, state: string, verifier: string) {
  const params = oauth.validateAuthResponse(as, client, callback, state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, auth, params, CALLBACK, verifier, { [oauth.customFetch]: f });
  return oauth.processAuthorizationCodeResponse(as, client, response);
}

const refresh = async (token: string) =>
  oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, auth, token, { [oauth.customFetch]: f }));

describe('authorization_code + PKCE (S256) with rotating refresh tokens, end to end (oauth4webapi)', () => {
  it('advertises the flow in the metadata, S256 only', () => {
    expect(as.authorization_endpoint).toBe(`${t.gateway.url}/oauth/authorize`);
    expect(as.code_challenge_methods_supported).toEqual(['S256']);
    expect(as.grant_types_supported).toContain('refresh_token');
  });

  it('logs in, calls the API, rotates the refresh token, and revokes the family when an old one is reused', async () => {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const first = await exchange(await authorize(verifier, state), state, verifier);
    expect(decodeJwt(first.access_token)).toMatchObject({ sub: 'user-42', client_id: issued.client_id, scope: 'companies:read' });
    expect(first.refresh_token).toBeTypeOf('string');
    expect((await t.callWith(first.access_token)).status).toBe(200);

    const second = await refresh(first.refresh_token as string);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await t.callWith(second.access_token)).status).toBe(200);

    // The first refresh token again: someone else holds it. The whole family goes, access tokens included.
    await expect(refresh(first.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(refresh(second.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    expectProblem(await t.callWith(second.access_token), 401, 'invalid-credential');
    expectProblem(await t.callWith(first.access_token), 401, 'invalid-credential');
  });

  it('audits the login page\'s verdict with the admin actor that gave it, never the code', async () => {
    const callback = await authorize(oauth.generateRandomCodeVerifier(), oauth.generateRandomState());
    const events = (await t.admin('GET', '/admin/v1/audit?action=authorization.approve')).json() as { events: { actor: string; detail: Record<string, unknown> }[] };
    const tokenId = t.adminToken.split('_')[1];
    expect(events.events[0]).toMatchObject({ actor: tokenId, detail: { subject: 'user-42', clientId: issued.client_id } });
    expect(JSON.stringify(events)).not.toContain(callback.searchParams.get('code'));
  });

  it('refuses a wrong PKCE verifier, and a code used twice', async () => {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const callback = await authorize(verifier, state);
    await expect(exchange(callback, state, oauth.generateRandomCodeVerifier())).rejects.toMatchObject({ error: 'invalid_grant' });
    // The code was spent by the failed attempt: the right verifier no longer helps.
    await expect(exchange(callback, state, verifier)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('revokes the whole authorization when a refresh token is revoked (RFC 7009)', async () => {
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const tokens = await exchange(await authorize(verifier, state), state, verifier);
    const revoked = await postForm(t, '/oauth/revoke', { token: tokens.refresh_token as string, token_type_hint: 'refresh_token' }, basic(issued.client_id, issued.client_secret as string));
    expect(revoked.status).toBe(200);
    await expect(refresh(tokens.refresh_token as string)).rejects.toMatchObject({ error: 'invalid_grant' });
    expectProblem(await t.callWith(tokens.access_token), 401, 'invalid-credential');
  });

  it('refuses plain PKCE and no PKCE by redirecting with an error, and never redirects to an unregistered URI', async () => {
    for (const extra of [{ code_challenge_method: 'plain' }, { code_challenge: '' }]) {
      const url = new URLSearchParams({ response_type: 'code', client_id: issued.client_id, redirect_uri: CALLBACK, state: 's', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', ...extra });
      const reply = await t.call(`/oauth/authorize?${url}`);
      expect(reply.status).toBe(302);
      const back = new URL(reply.headers.location as string);
      expect(`${back.origin}${back.pathname}`).toBe(CALLBACK);
      expect(back.searchParams.get('error')).toBe('invalid_request');
      expect(back.searchParams.get('state')).toBe('s');
    }
    const evil = new URLSearchParams({ response_type: 'code', client_id: issued.client_id, redirect_uri: 'https://evil.example/cb', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' });
    const reply = await t.call(`/oauth/authorize?${evil}`);
    expect(reply.status).toBe(400);
    expect(reply.headers.location).toBeUndefined();
  });
});
