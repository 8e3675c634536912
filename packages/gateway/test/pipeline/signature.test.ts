import { createSecretKey, generateKeyPairSync } from 'node:crypto';
import { contentDigest, signRequest } from '@portcullis/protocol';
import type { SigningKey } from '@portcullis/protocol';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectProblem, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway, Reply } from '../helpers/gateway.js';

/** RFC 9421 signatures through a real gateway: required and optional routes, hmac and ed25519, replay, digests. */
describe('request signatures', () => {
  let t: CredentialGateway;
  let apiKey: string;
  let hmac: SigningKey;
  let secretText: string;
  let consumerId: string;

  beforeAll(async () => {
    t = await startCredentialGateway((url) => ({
      services: [
        {
          name: 'companies',
          upstream: url,
          routes: [
            { match: 'GET /companies/*', scopes: ['companies:read'] },
            { match: 'POST /companies', scopes: ['companies:write'], signature: 'required' },
            { match: 'GET /public', public: true },
          ],
        },
      ],
    }));
    consumerId = await t.createConsumer();
    apiKey = (await t.createKey({ consumerId, scopes: ['companies:read', 'companies:write'] })).key;
    const created = await t.admin('POST', `/admin/v1/consumers/${consumerId}/signing-secrets`);
    expect(created.status, created.text).toBe(201);
    const body = created.json() as { keyId: string; algorithm: string; secret: string };
    expect(body.algorithm).toBe('hmac-sha256');
    secretText = body.secret;
    hmac = { keyId: body.keyId, algorithm: 'hmac-sha256', key: createSecretKey(Buffer.from(body.secret, 'base64url')) };
  });
  // The gateway's clock is a fake that stands still; signRequest stamps `created` with the real time.
  beforeEach(() => {
    t.clock.now = Date.now();
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** A request signed as the SDK signs it: method, target URI, authority, and the Content-Digest of a body. */
  function signed(method: string, path: string, key: SigningKey, body?: string, options: Parameters<typeof signRequest>[2] = {}) {
    const headers: Record<string, string> = { authorization: `Bearer ${apiKey}` };
    if (body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-digest': contentDigest(Buffer.from(body)) });
    const signature = signRequest({ method, url: `${t.gateway.url}${path}`, headers }, key, options);
    return { method, headers: { ...headers, ...signature }, ...(body === undefined ? {} : { body }) } as const;
  }
  const post = (request: ReturnType<typeof signed>) => t.call('/companies', request as Parameters<CredentialGateway['call']>[1]);

  function expectRefused(reply: Reply): string {
    const body = expectProblem(reply, 401, 'invalid-signature');
    expect(Object.keys(body).sort()).toEqual(['instance', 'status', 'title', 'type']); // nothing about which part failed
    return reply.text.replace(/"instance":"[^"]+"/, '');
  }

  it('forwards a signed POST with its body, covered by Content-Digest', async () => {
    const before = t.upstream.seen.length;
    const reply = await post(signed('POST', '/companies', hmac, '{"name":"Acme"}'));
    expect(reply.status, reply.text).toBe(200);
    expect(t.upstream.seen.at(-1)?.body).toBe('{"name":"Acme"}');
    expect(t.upstream.seen.length).toBe(before + 1);
  });

  it('refuses an unsigned request on a signature: required route', async () => {
    const reply = await t.callWith(apiKey, '/companies', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expectRefused(reply);
  });

  it('refuses a replayed request, byte-identical to every other signature refusal', async () => {
    const request = signed('POST', '/companies', hmac, '{"n":1}');
    expect((await post(request)).status).toBe(200);
    const replay = expectRefused(await post(request));
    const unsigned = expectRefused(await t.callWith(apiKey, '/companies', { method: 'POST', body: '{}' }));
    expect(replay).toBe(unsigned);
  });

  it('refuses a body that does not match its Content-Digest, and the upstream never gets a complete request', async () => {
    const request = signed('POST', '/companies', hmac, '{"amount":1}');
    const before = t.upstream.seen.length;
    expectRefused(await post({ ...request, body: '{"amount":9}' }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(t.upstream.seen.length).toBe(before);
  });

  it('refuses a signature older than 300 s, a tampered method, and a POST whose signature does not cover content-digest', async () => {
    const now = Math.floor(t.clock.now / 1000);
    expectRefused(await post(signed('POST', '/companies', hmac, '{}', { created: now - 301 })));
    const retargeted = signed('GET', '/companies', hmac, '{}');
    expectRefused(await post({ ...retargeted, method: 'POST' }));
    expectRefused(await post(signed('POST', '/companies', hmac, '{}', { components: ['@method', '@target-uri', '@authority'] })));
  });

  it("refuses another consumer's signing key", async () => {
    const other = await t.createConsumer();
    const created = (await t.admin('POST', `/admin/v1/consumers/${other}/signing-secrets`)).json() as { keyId: string; secret: string };
    const foreign: SigningKey = { keyId: created.keyId, algorithm: 'hmac-sha256', key: createSecretKey(Buffer.from(created.secret, 'base64url')) };
    expectRefused(await post(signed('POST', '/companies', foreign, '{}')));
  });

  it('verifies ed25519 with a registered public JWK, and refuses a JWK carrying the private key', async () => {
    const pair = generateKeyPairSync('ed25519');
    const withPrivate = await t.admin('POST', `/admin/v1/consumers/${consumerId}/public-keys`, { jwk: pair.privateKey.export({ format: 'jwk' }) });
    expect(withPrivate.status).toBe(400);
    expect(withPrivate.text).toContain('send only the public part');
    const added = await t.admin('POST', `/admin/v1/consumers/${consumerId}/public-keys`, { jwk: pair.publicKey.export({ format: 'jwk' }) });
    expect(added.status, added.text).toBe(201);
    const { keyId } = added.json() as { keyId: string };
    expect((await post(signed('POST', '/companies', { keyId, algorithm: 'ed25519', key: pair.privateKey }, '{"ed":true}'))).status).toBe(200);
  });

  it('verifies an optional signature when present: a bad one is refused, none at all passes', async () => {
    expect((await t.callWith(apiKey, '/companies/1')).status).toBe(200);
    const good = signed('GET', '/companies/1', hmac);
    expect((await t.call('/companies/1', good)).status).toBe(200);
    const bad = signed('GET', '/companies/2', hmac);
    expectRefused(await t.call('/companies/1', bad));
  });

  it('never logs the signing secret, and counts refusals by reason', async () => {
    expect(t.logs.text()).not.toContain(secretText);
    const metrics = (await t.admin('GET', '/metrics')).text;
    for (const reason of ['missing', 'replayed', 'expired', 'bad-signature', 'component-not-covered', 'wrong-consumer']) {
      expect(metrics).toMatch(new RegExp(`portcullis_signature_failures_total\\{reason="${reason}"\\} [1-9]`));
    }
  });
});
