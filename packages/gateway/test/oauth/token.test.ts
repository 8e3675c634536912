import { SignJWT, createRemoteJWKSet, customFetch, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway } from '../helpers/gateway.js';
import { basic, createOAuthClient, fetchVia, postForm, tokenFor } from '../helpers/oauth.js';
import type { IssuedClient } from '../helpers/oauth.js';

let t: CredentialGateway;
let consumerId: string;
let secretClient: IssuedClient;
let as: oauth.AuthorizationServer;
let f: typeof fetch;

beforeAll(async () => {
  t = await startCredentialGateway();
  f = fetchVia(t.agent);
  consumerId = await t.createConsumer();
  secretClient = await createOAuthClient(t, { consumerId, scopes: ['companies:read', 'companies:write'] });
  const issuer = new URL(t.gateway.oauth.issuer);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.customFetch]: f }));
});
afterAll(async () => {
  await t?.stop();
});

async function grant(client: oauth.Client, auth: oauth.ClientAuth, scope: string) {
  const response = await oauth.clientCredentialsGrantRequest(as, client, auth, { scope }, { [oauth.customFetch]: f });
  return oauth.processClientCredentialsResponse(as, client, response);
}

describe('a third-party OAuth client (oauth4webapi) against the gateway', () => {
  it('discovers RFC 8414 metadata naming every endpoint and client auth method', () => {
    expect(as.issuer).toBe(t.gateway.url);
    expect(as.token_endpoint).toBe(`${t.gateway.url}/oauth/token`);
    expect(as.jwks_uri).toBe(`${t.gateway.url}/.well-known/jwks.json`);
    expect(as.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
    expect(as.revocation_endpoint).toBe(`${t.gateway.url}/oauth/revoke`);
    expect(as.introspection_endpoint).toBe(`${t.gateway.url}/oauth/introspect`);
  });

  it.each(['client_secret_basic', 'client_secret_post'] as const)('gets a token with %s and calls the API through the gateway', async (method) => {
    const auth = method === 'client_secret_basic' ? oauth.ClientSecretBasic(secretClient.client_secret as string) : oauth.ClientSecretPost(secretClient.client_secret as string);
    const tokens = await grant({ client_id: secretClient.client_id }, auth, 'companies:read');
    expect(tokens).toMatchObject({ token_type: 'bearer', expires_in: 3600, scope: 'companies:read' });
    const reply = await t.callWith(tokens.access_token, '/companies/7');
    expect(reply.status, reply.text).toBe(200);
    const seen = t.upstream.seen.at(-1);
    expect(seen?.headers['x-portcullis-consumer']).toBe(consumerId);
    expect(seen?.headers['x-portcullis-scopes']).toBe('companies:read');
    expect(seen?.headers['x-portcullis-credential-kind']).toBe('oauth');
    expect(seen?.headers.authorization).toBeUndefined();
    // The token carries companies:read only: a write route needs a scope it was not granted.
    const write = await t.callWith(tokens.access_token, '/companies', { method: 'POST' });
    expect(write.status).toBe(403);
  });

  it('gets a token with private_key_jwt and calls the API', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const client = await createOAuthClient(t, { consumerId, scopes: ['companies:read'], jwk: { ...(await exportJWK(publicKey)), alg: 'ES256' } });
    const tokens = await grant({ client_id: client.client_id }, oauth.PrivateKeyJwt(privateKey), 'companies:read');
    expect((await t.callWith(tokens.access_token)).status).toBe(200);
  });

  it("issues an RFC 9068 token that jose's createRemoteJWKSet validates", async () => {
    const token = await tokenFor(t, secretClient);
    const jwks = createRemoteJWKSet(new URL(as.jwks_uri as string), { [customFetch]: f });
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: as.issuer, audience: t.gateway.url, typ: 'at+jwt', algorithms: ['ES256'] });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(typeof protectedHeader.kid).toBe('string');
    expect(payload).toMatchObject({ iss: t.gateway.url, aud: t.gateway.url, sub: secretClient.client_id, client_id: secretClient.client_id, scope: 'companies:read companies:write' });
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(typeof payload.jti).toBe('string');
  });
});

describe('POST /oauth/token refusals (RFC 6749 §5.2 JSON errors)', () => {
  const secretAuth = () => basic(secretClient.client_id, secretClient.client_secret as string);

  it('answers no-store and refuses a scope the client does not hold with invalid_scope', async () => {
    const ok = await postForm(t, '/oauth/token', { grant_type: 'client_credentials' }, secretAuth());
    expect(ok.headers['cache-control']).toBe('no-store');
    const reply = await postForm(t, '/oauth/token', { grant_type: 'client_credentials', scope: 'companies:read admin:all' }, secretAuth());
    expect(reply.status).toBe(400);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(reply.headers['cache-control']).toBe('no-store');
    expect(reply.json()).toMatchObject({ error: 'invalid_scope' });
  });

  it('refuses a wrong secret with invalid_client and an unsupported grant type', async () => {
    const wrong = await postForm(t, '/oauth/token', { grant_type: 'client_credentials' }, basic(secretClient.client_id, 'pcs_wrong'));
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toMatchObject({ error: 'invalid_client' });
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic/);
    const password = await postForm(t, '/oauth/token', { grant_type: 'password', username: 'u', password: 'p' }, secretAuth());
    expect(password.json()).toMatchObject({ error: 'unsupported_grant_type' });
    const twice = await t.call('/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...secretAuth() },
      body: 'grant_type=client_credentials&scope=a&scope=b',
    });
    expect(twice.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('throttles failed client authentication per client id, even for the right secret afterwards', async () => {
    const victim = await createOAuthClient(t, { consumerId, scopes: ['companies:read'] });
    for (let i = 0; i < 11; i++) await postForm(t, '/oauth/token', { grant_type: 'client_credentials' }, basic(victim.client_id, `pcs_guess${i}`));
    const blocked = await postForm(t, '/oauth/token', { grant_type: 'client_credentials' }, basic(victim.client_id, victim.client_secret as string));
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.json()).toMatchObject({ error: 'invalid_client' });
    // Another client is not affected.
    expect((await postForm(t, '/oauth/token', { grant_type: 'client_credentials' }, secretAuth())).status).toBe(200);
  });

  describe('private_key_jwt', () => {
    let client: IssuedClient;
    let key: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
    beforeAll(async () => {
      const pair = await generateKeyPair('ES256', { extractable: true });
      key = pair.privateKey;
      client = await createOAuthClient(t, { consumerId, scopes: ['companies:read'], jwk: { ...(await exportJWK(pair.publicKey)), alg: 'ES256' } });
    });
    const assertion = (claims: { aud?: string; jti?: string; exp?: number } = {}) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer(client.client_id)
        .setSubject(client.client_id)
        .setAudience(claims.aud ?? t.gateway.url)
        .setJti(claims.jti ?? crypto.randomUUID())
        .setIssuedAt()
        .setExpirationTime(claims.exp ?? Math.floor(t.clock.now / 1000) + 60)
        .sign(key);
    const send = async (jwt: string) =>
      postForm(t, '/oauth/token', {
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: jwt,
      });

    it('refuses a replayed assertion (same jti)', async () => {
      const jwt = await assertion();
      expect((await send(jwt)).status).toBe(200);
      const replay = await send(jwt);
      expect(replay.status).toBe(401);
      expect(replay.json()).toMatchObject({ error: 'invalid_client' });
    });

    it('refuses an assertion for another audience, a long-lived one, and one signed by another key', async () => {
      expect((await send(await assertion({ aud: 'https://elsewhere.example' }))).status).toBe(401);
      expect((await send(await assertion({ exp: Math.floor(t.clock.now / 1000) + 3600 }))).status).toBe(401);
      const other = await generateKeyPair('ES256');
      const forged = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setIssuer(client.client_id).setSubject(client.client_id)
        .setAudience(t.gateway.url).setJti('x1').setExpirationTime('1m').sign(other.privateKey);
      expect((await send(forged)).status).toBe(401);
    });
  });

  it('signs with ES256 and a kid from the JWKS', async () => {
    const token = await tokenFor(t, secretClient);
    const jwks = (await t.call('/.well-known/jwks.json')).json() as { keys: { kid: string; alg: string; d?: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toContain(decodeProtectedHeader(token).kid);
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
    const [row] = await t.gateway.db.query('SELECT private_jwk FROM oauth_signing_keys LIMIT 1');
    expect(String(row?.private_jwk)).not.toMatch(/"d"|kty/); // sealed by the keyring, not JSON at rest
  });
});

describe('secrets stay out of the logs', () => {
  it('logs neither a client secret, an assertion nor an access token, at debug level', async () => {
    const token = await tokenFor(t, secretClient);
    await t.callWith(token);
    await postForm(t, '/oauth/token', { grant_type: 'client_credentials', client_id: secretClient.client_id, client_secret: `${secretClient.client_secret}x` });
    await postForm(t, '/oauth/introspect', { token }, basic(secretClient.client_id, secretClient.client_secret as string));
    await postForm(t, '/oauth/revoke', { token }, basic(secretClient.client_id, secretClient.client_secret as string));
    expect(t.logs.lines.length).toBeGreaterThan(0);
    const text = t.logs.text();
    expect(text).not.toContain((secretClient.client_secret as string).slice(4));
    expect(text).not.toContain(token.split('.')[2]);
    expect(text).not.toContain('client_assertion');
  });
});
