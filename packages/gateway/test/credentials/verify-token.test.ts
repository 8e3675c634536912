import { SignJWT, UnsecuredJWT, base64url, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway, Reply } from '../helpers/gateway.js';
import { createOAuthClient, tokenFor } from '../helpers/oauth.js';
import type { IssuedClient } from '../helpers/oauth.js';

let t: CredentialGateway;
let consumerId: string;
let client: IssuedClient;
let unknownKeyReply: Reply;

beforeAll(async () => {
  t = await startCredentialGateway();
  consumerId = await t.createConsumer();
  client = await createOAuthClient(t, { consumerId, scopes: ['companies:read'] });
  unknownKeyReply = await t.callWith('pck_000000000000_00000000000000000000000000000000000000');
});
afterAll(async () => {
  await t?.stop();
});

/** Claims as the gateway would issue them, for tokens a test signs itself. */
function claims(overrides: Record<string, unknown> = {}) {
  const now = Math.floor(t.clock.now / 1000);
  return { iss: t.gateway.oauth.issuer, aud: t.gateway.oauth.issuer, sub: client.client_id, client_id: client.client_id, scope: 'companies:read', jti: crypto.randomUUID(), iat: now, exp: now + 600, ...overrides };
}

/** Signed with the gateway's real current key: only the one property under test is wrong. */
function signWithGatewayKey(header: Record<string, unknown>, payload = claims()) {
  const key = t.gateway.oauth.keys.current();
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header } as never).sign(key.privateKey);
}

/** The same 401 as a bad API key: identical body but for the request id, and the same challenge. */
function expectSameRefusal(reply: Reply): void {
  const body = expectProblem(reply, 401, 'invalid-credential');
  const reference = JSON.parse(unknownKeyReply.text) as Record<string, unknown>;
  expect({ ...body, instance: undefined }).toEqual({ ...reference, instance: undefined });
  expect(reply.headers['www-authenticate']).toBe(unknownKeyReply.headers['www-authenticate']);
}

describe('Bearer JWTs on the data plane: each attack gets the same 401 as a bad API key', () => {
  it('accepts a genuine token, and answers a repeat from the verified-token cache synchronously', async () => {
    const token = await tokenFor(t, client);
    expect((await t.callWith(token)).status).toBe(200);
    expect(t.gateway.oauth.tokens.verify(token)).not.toBeInstanceOf(Promise);
    expect(t.gateway.oauth.tokens.verify(token)).toMatchObject({ ok: true });
  });

  it('refuses alg "none"', async () => {
    const none = new UnsecuredJWT(claims()).encode();
    const withTyp = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: t.gateway.oauth.keys.current().kid }))}.${none.split('.')[1]}.`;
    expectSameRefusal(await t.callWith(none));
    expectSameRefusal(await t.callWith(withTyp));
  });

  it('refuses HS256 keyed with the public key (algorithm confusion)', async () => {
    const key = t.gateway.oauth.keys.current();
    const secret = new TextEncoder().encode(JSON.stringify(key.publicJwk));
    const forged = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'at+jwt' }).sign(secret);
    expectSameRefusal(await t.callWith(forged));
  });

  it.each(['jku', 'x5u', 'x5c', 'jwk'])('never honours a key carried in the header (%s)', async (member) => {
    const attacker = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(attacker.publicKey);
    const value = { jku: 'https://attacker.example/jwks.json', x5u: 'https://attacker.example/cert.pem', x5c: ['MIIB'], jwk }[member];
    // Signed by the attacker, pointing at the attacker's key, with no kid we know.
    const byAttacker = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', [member]: value } as never).sign(attacker.privateKey);
    expectSameRefusal(await t.callWith(byAttacker));
    // Even genuinely signed, a token that carries one is refused outright.
    expectSameRefusal(await t.callWith(await signWithGatewayKey({ [member]: value })));
  });

  it('treats kid as an opaque lookup key (path, SQL, unknown)', async () => {
    for (const kid of ['../../../../etc/passwd', "' OR '1'='1", 'nope', '']) {
      expectSameRefusal(await t.callWith(await signWithGatewayKey({ kid })));
    }
  });

  it('checks typ, iss, aud and the required claims', async () => {
    expectSameRefusal(await t.callWith(await signWithGatewayKey({ typ: 'JWT' })));
    expectSameRefusal(await t.callWith(await signWithGatewayKey({}, claims({ iss: 'https://evil.example' }))));
    expectSameRefusal(await t.callWith(await signWithGatewayKey({}, claims({ aud: 'https://other-api.example' }))));
    const { jti: _jti, ...withoutJti } = claims();
    expectSameRefusal(await t.callWith(await signWithGatewayKey({}, withoutJti as ReturnType<typeof claims>)));
  });

  it('allows at most 60 s of skew on exp and nbf', async () => {
    const now = Math.floor(t.clock.now / 1000);
    expect((await t.callWith(await signWithGatewayKey({}, claims({ exp: now - 30 })))).status).toBe(200);
    expectSameRefusal(await t.callWith(await signWithGatewayKey({}, claims({ exp: now - 90 }))));
    expect((await t.callWith(await signWithGatewayKey({}, claims({ nbf: now + 30 })))).status).toBe(200);
    expectSameRefusal(await t.callWith(await signWithGatewayKey({}, claims({ nbf: now + 90 }))));
  });

  it('refuses a cached token once it expires', async () => {
    const token = await tokenFor(t, client);
    expect((await t.callWith(token)).status).toBe(200);
    t.clock.advance(3600_000 + 61_000);
    try {
      expectSameRefusal(await t.callWith(token));
    } finally {
      t.clock.advance(-(3600_000 + 61_000));
    }
  });

  it('applies a size limit before any crypto', async () => {
    const huge = await signWithGatewayKey({}, claims({ pad: 'x'.repeat(5000) }));
    expect(t.gateway.oauth.tokens.verify(huge)).toEqual({ ok: false, reason: 'oversize' }); // synchronous: nothing was decoded
    expectSameRefusal(await t.callWith(huge));
    expectSameRefusal(await t.callWith('eyJ.not.ajwt'));
  });

  it("applies the client's IP allow-list as for keys, and stops with the client or its consumer", async () => {
    // The client's allow-list applies to its tokens exactly as a key's applies to the key.
    const fenced = await createOAuthClient(t, { consumerId, scopes: ['companies:read'], allowedIps: ['10.0.0.0/8'] });
    const fencedKey = await t.createKey({ consumerId, scopes: ['companies:read'], allowedIps: ['10.0.0.0/8'] });
    const byToken = await t.callWith(await tokenFor(t, fenced));
    const byKey = await t.callWith(fencedKey.key);
    expect(byKey.status).toBeGreaterThanOrEqual(400);
    expect([byToken.status, JSON.parse(byToken.text).type]).toEqual([byKey.status, JSON.parse(byKey.text).type]);

    const other = await t.createConsumer();
    const doomed = await createOAuthClient(t, { consumerId: other, scopes: ['companies:read'] });
    const token = await tokenFor(t, doomed);
    const second = await createOAuthClient(t, { consumerId: other, scopes: ['companies:read'] });
    const token2 = await tokenFor(t, second);
    expect((await t.callWith(token)).status).toBe(200);
    expect((await t.callWith(token2)).status).toBe(200);
    expect((await t.admin('POST', `/admin/v1/clients/${doomed.client_id}/revoke`)).status).toBe(200);
    expectSameRefusal(await t.callWith(token));
    expect((await t.callWith(token2)).status).toBe(200);
    expect((await t.admin('POST', `/admin/v1/consumers/${other}/disable`)).status).toBe(200);
    expectSameRefusal(await t.callWith(token2));
  });
});
