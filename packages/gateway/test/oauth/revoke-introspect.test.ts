import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway } from '../helpers/gateway.js';
import { basic, createOAuthClient, fetchVia, postForm, tokenFor } from '../helpers/oauth.js';
import type { IssuedClient } from '../helpers/oauth.js';

let t: CredentialGateway;
let client: IssuedClient;
let other: IssuedClient;
let as: oauth.AuthorizationServer;
let f: typeof fetch;

beforeAll(async () => {
  t = await startCredentialGateway();
  f = fetchVia(t.agent);
  const consumerId = await t.createConsumer();
  client = await createOAuthClient(t, { consumerId, scopes: ['companies:read'] });
  other = await createOAuthClient(t, { consumerId, scopes: ['companies:read'] });
  const issuer = new URL(t.gateway.oauth.issuer);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.customFetch]: f }));
});
afterAll(async () => {
  await t?.stop();
});

const auth = (c: IssuedClient) => oauth.ClientSecretBasic(c.client_secret as string);
const introspect = async (token: string, by = client) =>
  oauth.processIntrospectionResponse(as, { client_id: by.client_id }, await oauth.introspectionRequest(as, { client_id: by.client_id }, auth(by), token, { [oauth.customFetch]: f }));

describe('POST /oauth/introspect (RFC 7662)', () => {
  it('describes an active token to an authenticated client', async () => {
    const token = await tokenFor(t, client);
    expect(await introspect(token, other)).toMatchObject({ active: true, client_id: client.client_id, sub: client.client_id, scope: 'companies:read', token_type: 'Bearer', iss: t.gateway.url });
  });

  it('answers exactly {"active": false} for an inactive token, whatever the reason', async () => {
    for (const token of ['garbage', 'eyJhbGciOiJub25lIn0.e30.', 'pck_000000000000_00000000000000000000000000000000000000']) {
      const reply = await postForm(t, '/oauth/introspect', { token }, basic(client.client_id, client.client_secret as string));
      expect(reply.status).toBe(200);
      expect(reply.text).toBe('{"active":false}');
    }
  });

  it('requires client authentication', async () => {
    const token = await tokenFor(t, client);
    const reply = await postForm(t, '/oauth/introspect', { token });
    expect(reply.status).toBe(401);
    expect(reply.json()).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
  });
});

describe('POST /oauth/revoke (RFC 7009)', () => {
  it('revokes a token: the next call gets the bad-credential 401 and introspection {"active": false}', async () => {
    const token = await tokenFor(t, client);
    expect((await t.callWith(token)).status).toBe(200); // now cached as verified
    const response = await oauth.revocationRequest(as, { client_id: client.client_id }, auth(client), token, { [oauth.customFetch]: f });
    await oauth.processRevocationResponse(response);
    expectProblem(await t.callWith(token), 401, 'invalid-credential');
    const reply = await postForm(t, '/oauth/introspect', { token }, basic(client.client_id, client.client_secret as string));
    expect(reply.text).toBe('{"active":false}');
  });

  it("answers 200 for an unknown token, and refuses to revoke another client's token", async () => {
    expect((await postForm(t, '/oauth/revoke', { token: 'not-a-token' }, basic(client.client_id, client.client_secret as string))).status).toBe(200);
    const token = await tokenFor(t, client);
    const reply = await postForm(t, '/oauth/revoke', { token }, basic(other.client_id, other.client_secret as string));
    expect(reply.json()).toMatchObject({ error: 'unauthorized_client' });
    expect((await t.callWith(token)).status).toBe(200);
  });

  it('records the revocation in the store, so an instance that starts later refuses it too', async () => {
    const token = await tokenFor(t, client);
    await postForm(t, '/oauth/revoke', { token }, basic(client.client_id, client.client_secret as string));
    const rows = await t.gateway.db.query('SELECT client_id FROM oauth_revoked_tokens');
    expect(rows).toContainEqual({ client_id: client.client_id });
  });
});
