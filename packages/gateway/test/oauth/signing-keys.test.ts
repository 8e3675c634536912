import { createRemoteJWKSet, customFetch, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway } from '../helpers/gateway.js';
import { createOAuthClient, fetchVia, tokenFor } from '../helpers/oauth.js';
import type { IssuedClient } from '../helpers/oauth.js';

let t: CredentialGateway;
let client: IssuedClient;

beforeAll(async () => {
  t = await startCredentialGateway();
  client = await createOAuthClient(t, { consumerId: await t.createConsumer(), scopes: ['companies:read'] });
});
afterAll(async () => {
  await t?.stop();
});

const kidOf = (token: string) => decodeProtectedHeader(token).kid;
const published = async () => ((await t.call('/.well-known/jwks.json')).json() as { keys: { kid: string }[] }).keys.map((k) => k.kid);

describe('portcullis signing-keys rotate: tokens in flight keep working', () => {
  it('publishes the next key before it signs and keeps the old one until its last token has expired', async () => {
    const before = await tokenFor(t, client);
    const oldKid = kidOf(before);

    const rotated = await t.admin('POST', '/admin/v1/signing-keys/rotate', { lead: '15m' });
    expect(rotated.status, rotated.text).toBe(201);
    const nextKid = (rotated.json() as { kid: string }).kid;
    expect(nextKid).not.toBe(oldKid);
    expect(await published()).toEqual([oldKid, nextKid]); // published ahead...
    const during = await tokenFor(t, client);
    expect(kidOf(during)).toBe(oldKid); // ...but not signing yet

    t.clock.advance(15 * 60_000);
    const after = await tokenFor(t, client);
    expect(kidOf(after)).toBe(nextKid);
    // Every token in flight still works, at the gateway and for a resource server that reads the JWKS.
    const jwks = createRemoteJWKSet(new URL(`${t.gateway.oauth.issuer}/.well-known/jwks.json`), { [customFetch]: fetchVia(t.agent) });
    for (const token of [before, during, after]) {
      expect((await t.callWith(token)).status).toBe(200);
      await jwtVerify(token, jwks, { issuer: t.gateway.oauth.issuer, audience: t.gateway.oauth.issuer, currentDate: new Date(t.clock.now) });
    }
    const listed = (await t.admin('GET', '/admin/v1/signing-keys')).json() as { keys: { kid: string; status: string }[] };
    expect(listed.keys).toEqual([expect.objectContaining({ kid: oldKid, status: 'retired' }), expect.objectContaining({ kid: nextKid, status: 'signing' })]);

    // The old key stays published for the longest token lifetime (24 h) plus skew, then goes.
    t.clock.advance(24 * HOUR - 60_000);
    expect(await published()).toContain(oldKid);
    t.clock.advance(2 * 60_000 + 1);
    expect(await published()).toEqual([nextKid]);
  });

});
