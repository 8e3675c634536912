import { SignJWT, calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway } from '../helpers/gateway.js';
import { basic, createOAuthClient, fetchVia, postForm } from '../helpers/oauth.js';
import type { IssuedClient } from '../helpers/oauth.js';

let t: CredentialGateway;
let issued: IssuedClient;
let as: oauth.AuthorizationServer;
let f: typeof fetch;
let client: oauth.Client;

beforeAll(async () => {
  t = await startCredentialGateway();
  f = fetchVia(t.agent);
  issued = await createOAuthClient(t, { consumerId: await t.createConsumer(), scopes: ['companies:read'], requireDpop: true });
  const issuer = new URL(t.gateway.oauth.issuer);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.customFetch]: f }));
  client = { client_id: issued.client_id };
});
afterAll(async () => {
  await t?.stop();
});

async function dpopToken(keyPair: Awaited<ReturnType<typeof oauth.generateKeyPair>>) {
  const DPoP = oauth.DPoP(client, keyPair);
  const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(issued.client_secret as string), { scope: 'companies:read' }, { DPoP, [oauth.customFetch]: f });
  return { DPoP, tokens: await oauth.processClientCredentialsResponse(as, client, response) };
}

const call = (token: string, DPoP: oauth.DPoPHandle) =>
  oauth.protectedResourceRequest(token, 'GET', new URL(`${t.gateway.url}/companies/1`), new Headers(), null, { DPoP, [oauth.customFetch]: f });

describe('DPoP sender-constrained tokens (RFC 9449), per client', () => {
  it('gives a client that requires DPoP no token without a proof', async () => {
    const reply = await postForm(t, '/oauth/token', { grant_type: 'client_credentials' }, basic(issued.client_id, issued.client_secret as string));
    expect(reply.status).toBe(400);
    expect(reply.json()).toMatchObject({ error: 'invalid_dpop_proof' });
  });

  it('binds the token to the key (cnf.jkt) and accepts it with a proof of that key', async () => {
    const keyPair = await oauth.generateKeyPair('ES256');
    const { DPoP, tokens } = await dpopToken(keyPair);
    expect(tokens.token_type).toBe('dpop');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: await calculateJwkThumbprint(await exportJWK(keyPair.publicKey)) });
    const reply = await call(tokens.access_token, DPoP);
    expect(reply.status).toBe(200);
    expect(t.upstream.seen.at(-1)?.headers.dpop).toBeUndefined();
  });

  it('makes a stolen token useless: as a Bearer token, with another key, or with a replayed proof', async () => {
    const { tokens } = await dpopToken(await oauth.generateKeyPair('ES256'));
    expectProblem(await t.callWith(tokens.access_token), 401, 'invalid-credential');
    const thief = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
    // oauth4webapi surfaces the 401 challenge as an error carrying the response.
    await expect(call(tokens.access_token, thief)).rejects.toMatchObject({ name: 'WWWAuthenticateChallengeError', status: 401 });

    const keyPair = await oauth.generateKeyPair('ES256');
    const bound = await dpopToken(keyPair);
    const proof = await new SignJWT({
      htm: 'GET', htu: `${t.gateway.url}/companies/1`, jti: crypto.randomUUID(),
      ath: Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(bound.tokens.access_token))).toString('base64url'),
    }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(keyPair.publicKey) }).setIssuedAt().sign(keyPair.privateKey);
    const send = () => t.call('/companies/1', { headers: { authorization: `DPoP ${bound.tokens.access_token}`, dpop: proof } });
    expect((await send()).status).toBe(200);
    expectProblem(await send(), 401, 'invalid-credential'); // the same proof again
    // A proof for another URL does not work either.
    const elsewhere = await new SignJWT({ htm: 'GET', htu: `${t.gateway.url}/companies/2`, jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(keyPair.publicKey) }).setIssuedAt().sign(keyPair.privateKey);
    expectProblem(await t.call('/companies/1', { headers: { authorization: `DPoP ${bound.tokens.access_token}`, dpop: elsewhere } }), 401, 'invalid-credential');
  });
});
