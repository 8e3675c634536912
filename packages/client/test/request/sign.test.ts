import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentDigest, verifyRequestSignature } from '@portcullis/protocol';
import type { SignatureVerification, SigningKey } from '@portcullis/protocol';
import { clientFor } from '../helpers/client.js';
import { json, startTestServer } from '../helpers/tls-server.js';
import type { TestServer } from '../helpers/tls-server.js';

/**
 * The server verifies with @portcullis/protocol's verifyRequestSignature, the gateway's own code, and
 * checks the Content-Digest against the bytes received.
 */
let server: TestServer;
let verdicts: (SignatureVerification & { digestOk?: boolean })[];
let keys: Map<string, SigningKey>;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

function verifying(status = 200) {
  return async (req: Parameters<Parameters<typeof server.handle>[0]>[0], res: Parameters<Parameters<typeof server.handle>[0]>[1], body: string) => {
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const verdict = await verifyRequestSignature({ method: req.method!, url: `${server.url}${req.url}`, headers }, (id) => keys.get(id), {
      maxAgeSeconds: 300,
      requiredComponents: ['@method', '@target-uri', ...(body ? ['content-digest'] : [])],
    });
    const digestOk = headers['content-digest'] ? headers['content-digest'] === contentDigest(Buffer.from(body)) : undefined;
    verdicts.push({ ...verdict, ...(digestOk === undefined ? {} : { digestOk }) });
    json(verdict.ok ? status : 401, {})(req, res, body);
  };
}

describe('RFC 9421 signing through @portcullis/protocol', () => {
  it('signs a POST with hmac-sha256: Content-Digest covered, verified by the gateway code', async () => {
    const secret = createSecretKey(randomBytes(32));
    keys = new Map([['k-hmac', { keyId: 'k-hmac', algorithm: 'hmac-sha256', key: secret }]]);
    verdicts = [];
    server.handle(verifying(201));
    const { client } = clientFor(server, { signing: { key: { keyId: 'k-hmac', algorithm: 'hmac-sha256', key: secret } } });
    const res = await client.post('/payments', { body: { amount: 100 } });
    expect(res.status).toBe(201);
    expect(verdicts).toEqual([expect.objectContaining({ ok: true, keyId: 'k-hmac', digestOk: true })]);
    await client.close();
  });

  it('signs with ed25519, and signs each retry afresh (a new nonce: the gateway refuses a replayed one)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    keys = new Map([['k-ed', { keyId: 'k-ed', algorithm: 'ed25519', key: publicKey }]]);
    verdicts = [];
    const verify = verifying(200);
    let first = true;
    server.handle(async (req, res, body) => {
      if (first) {
        first = false;
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        verdicts.push({ ok: true, keyId: 'first', nonce: /nonce="([^"]+)"/.exec(headers['signature-input'] ?? '')?.[1] ?? '', created: 0 });
        return json(503, {})(req, res, body);
      }
      return verify(req, res, body);
    });
    const { client } = clientFor(server, { signing: { key: { keyId: 'k-ed', algorithm: 'ed25519', key: privateKey } } });
    expect((await client.put('/payments/{id}', { params: { id: 7 }, body: { amount: 5 } })).status).toBe(200);
    expect(verdicts).toHaveLength(2);
    expect(verdicts[1]).toMatchObject({ ok: true, keyId: 'k-ed', digestOk: true });
    const nonces = verdicts.map((v) => (v.ok ? v.nonce : ''));
    expect(nonces[0]).not.toBe(nonces[1]);
    await client.close();
  });
});
