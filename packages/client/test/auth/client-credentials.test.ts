import { webcrypto } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auth } from '../../src/index.js';
import { clientFor } from '../helpers/client.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { captureLogs } from '../helpers/log-capture.js';
import { startOidcProvider } from '../helpers/oidc-provider.js';
import type { OidcServer } from '../helpers/oidc-provider.js';
import { json, startTestServer } from '../helpers/tls-server.js';
import type { TestServer } from '../helpers/tls-server.js';

const SECRET = 'oidc-client-secret-planted-5e1d0c9b8a7f';
let keys: webcrypto.CryptoKeyPair;
let provider: OidcServer;
let api: TestServer;

beforeAll(async () => {
  keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const jwk = { ...(await webcrypto.subtle.exportKey('jwk', keys.publicKey)), kid: 'test-key-1', alg: 'ES256', use: 'sig' };
  provider = await startOidcProvider([
    { client_id: 'billing', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_basic' },
    { client_id: 'signer', token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } },
  ]);
  // The resource server checks every token with the provider (RFC 7662 introspection).
  api = await startTestServer(async (req, res) => {
    const [scheme, token] = (req.headers.authorization ?? '').split(' ');
    const info = await provider.introspect(token ?? '');
    json(info.active ? 200 : 401, { scheme, active: info.active, client: info.client_id, token_type: info.token_type })(req, res, '');
  });
});
afterAll(async () => {
  await api.close();
  await provider.close();
});
beforeEach(() => {
  provider.tokenRequests.length = 0;
  api.seen.length = 0;
});

describe('client credentials against an independent oidc-provider', () => {
  it('client_secret_basic: the token works and is refreshed during the test (short lifetime)', async () => {
    const clock = new FakeClock();
    const logs = captureLogs();
    const { client } = clientFor(api, {
      clock,
      logger: logs.logger,
      auth: auth.clientCredentials({ tokenUrl: `${provider.issuer}/token`, clientId: 'billing', clientSecret: SECRET, scope: 'api:read' }),
    });
    const first = await client.get('/invoices');
    expect(first.data).toMatchObject({ active: true, client: 'billing', scheme: 'Bearer' });
    await client.get('/invoices');
    expect(provider.tokenRequests).toEqual(['billing']);
    clock.advance(55_000); // 60 s tokens are refreshed with 6 s left
    const later = await client.get('/invoices');
    expect(later.data).toMatchObject({ active: true, client: 'billing' });
    expect(provider.tokenRequests).toEqual(['billing', 'billing']);
    const tokens = api.seen.map((s) => s.headers.authorization);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[0]);
    expect(client.counters.token_refreshed).toBe(2);
    for (const token of new Set(tokens)) expect(logs.text()).not.toContain(token!.split(' ')[1]);
    expect(logs.text()).not.toContain(SECRET);
    await client.close();
  });

  it('private_key_jwt: the client authenticates with a signed assertion and no secret', async () => {
    const { client } = clientFor(api, {
      auth: auth.clientCredentials({ tokenUrl: `${provider.issuer}/token`, clientId: 'signer', privateKey: { key: keys.privateKey, kid: 'test-key-1' }, dpop: false }),
    });
    expect((await client.get('/invoices')).data).toMatchObject({ active: true, client: 'signer' });
    expect(provider.tokenRequests).toEqual(['signer']);
    await client.close();
  });

  it('DPoP when the server offers it (found by discovery): a DPoP-bound token and a fresh proof per request', async () => {
    const { client } = clientFor(api, {
      auth: auth.clientCredentials({ issuer: provider.issuer, clientId: 'billing', clientSecret: SECRET }),
    });
    const res = await client.get('/invoices');
    expect(res.data).toMatchObject({ active: true, scheme: 'DPoP', token_type: 'DPoP' });
    await client.post('/invoices', { body: { n: 1 } });
    const proofs = api.seen.map((s) => s.headers.dpop as string);
    expect(proofs).toHaveLength(2);
    expect(decodeProtectedHeader(proofs[0]!)).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' });
    expect(decodeJwt(proofs[0]!)).toMatchObject({ htm: 'GET', htu: `${api.url}/invoices` });
    expect(decodeJwt(proofs[1]!)).toMatchObject({ htm: 'POST' });
    expect(decodeJwt(proofs[1]!).ath).toBeTypeOf('string');
    expect(decodeJwt(proofs[0]!).jti).not.toBe(decodeJwt(proofs[1]!).jti);
    await client.close();
  });

  it('refuses an unknown client with an AuthError and auth events, without the secret', async () => {
    const { client } = clientFor(api, {
      auth: auth.clientCredentials({ tokenUrl: `${provider.issuer}/token`, clientId: 'billing', clientSecret: 'wrong-secret-planted-000' }),
    });
    const error = await client.get('/invoices').catch((e: unknown) => e as Error);
    expect(error).toMatchObject({ name: 'AuthError', code: 'token_request_failed' });
    expect((error as Error).message).toMatch(/invalid_client/);
    expect((error as Error).message).not.toContain('wrong-secret-planted-000');
    expect(client.counters.token_refresh_failed).toBe(1);
    expect(api.seen).toHaveLength(0);
    await client.close();
  });
});
