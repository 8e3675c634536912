import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createSigner, createVerifier, httpbis } from 'http-message-signatures';
import { describe, expect, it } from 'vitest';
import { contentDigest, signRequest, verifyRequestSignature } from '../../src/index.js';
import type { SignableRequest, SigningKey } from '../../src/index.js';

const NOW = 1_800_000_000;
const secret = randomBytes(32);
const HMAC: SigningKey = { keyId: 'psk_hmac', algorithm: 'hmac-sha256', key: createSecretKey(secret) };
const pair = generateKeyPairSync('ed25519');
const ED_PRIVATE: SigningKey = { keyId: 'psk_ed', algorithm: 'ed25519', key: pair.privateKey };
const ED_PUBLIC: SigningKey = { keyId: 'psk_ed', algorithm: 'ed25519', key: pair.publicKey };
const keys = new Map([HMAC, ED_PUBLIC].map((key) => [key.keyId, key]));
const lookup = (keyId: string) => keys.get(keyId);

const body = Buffer.from('{"name":"Acme"}');
const request: SignableRequest = {
  method: 'POST',
  url: 'https://api.example.com:8443/companies?x=1',
  headers: { 'content-type': 'application/json', 'content-digest': contentDigest(body) },
};
const REQUIRED = ['@method', '@target-uri', '@authority', 'content-digest'];
const options = { now: NOW, maxAgeSeconds: 300, requiredComponents: REQUIRED };

function signed(base: SignableRequest, key: SigningKey, signOptions: Parameters<typeof signRequest>[2] = {}): SignableRequest {
  return { ...base, headers: { ...base.headers, ...signRequest(base, key, { created: NOW, ...signOptions }) } };
}

function withoutHeader(message: SignableRequest, name: string): SignableRequest {
  return { ...message, headers: Object.fromEntries(Object.entries(message.headers).filter(([key]) => key !== name)) };
}

describe('signRequest', () => {
  it('covers @method @target-uri @authority and content-digest, with created, keyid, alg and nonce', () => {
    const headers = signRequest(request, HMAC, { created: NOW, nonce: 'n-1' });
    expect(headers['signature-input']).toBe(
      `sig1=("@method" "@target-uri" "@authority" "content-digest");created=${NOW};keyid="psk_hmac";alg="hmac-sha256";nonce="n-1"`,
    );
    expect(headers.signature).toMatch(/^sig1=:[A-Za-z0-9+/]{43}=:$/);
  });

  it('leaves content-digest out when the request has none, and draws a fresh nonce each time', () => {
    const bare = { method: 'GET', url: 'https://api.example.com/x', headers: {} };
    const first = signRequest(bare, HMAC);
    expect(first['signature-input']).toMatch(/^sig1=\("@method" "@target-uri" "@authority"\);created=\d+;keyid="psk_hmac";alg="hmac-sha256";nonce="[\w-]{22}"$/);
    expect(signRequest(bare, HMAC)['signature-input']).not.toBe(first['signature-input']);
  });

  it('refuses a key that cannot sign, naming what is wrong', () => {
    expect(() => signRequest(request, ED_PUBLIC)).toThrow(/ed25519 needs a private KeyObject/);
    expect(() => signRequest(request, { ...HMAC, key: pair.privateKey })).toThrow(/hmac-sha256 needs a secret KeyObject/);
  });
});

describe('verifyRequestSignature', () => {
  it.each([HMAC, ED_PRIVATE])('accepts its own %s signature and returns key id, nonce and created', async (key) => {
    const result = await verifyRequestSignature(signed(request, key, { nonce: 'n-2' }), lookup, options);
    expect(result).toEqual({ ok: true, keyId: key.keyId, nonce: 'n-2', created: NOW });
  });

  const failures: [string, () => SignableRequest, Partial<typeof options>?][] = [
    ['missing', () => request],
    ['malformed', () => ({ ...request, headers: { ...request.headers, 'signature-input': 'sig1=(', signature: 'sig1=:AA==:' } })],
    ['expired', () => signed(request, HMAC, { created: NOW - 301 })],
    ['expired', () => signed(request, HMAC, { expires: NOW - 1 })],
    ['not-yet-valid', () => signed(request, HMAC, { created: NOW + 31 })],
    ['component-not-covered', () => signed(request, HMAC, { components: ['@method', '@target-uri', '@authority'] })],
    ['unknown-key', () => signed(request, { ...HMAC, keyId: 'psk_other' })],
    ['bad-signature', () => ({ ...signed(request, HMAC), method: 'PUT' })],
    ['bad-signature', () => ({ ...signed(request, HMAC), url: 'https://api.example.com:8443/companies?x=2' })],
    ['bad-signature', () => ({ ...signed(request, HMAC), headers: { ...signed(request, HMAC).headers, 'content-digest': contentDigest(Buffer.from('other')) } })],
    ['bad-signature', () => signed(request, { ...HMAC, key: createSecretKey(randomBytes(32)) })],
    // Signed over a field that is then dropped on the way.
    ['component-unavailable', () => withoutHeader(signed({ ...request, headers: { ...request.headers, 'x-extra': 'v' } }, HMAC, { components: [...REQUIRED, 'x-extra'] }), 'x-extra')],
  ];
  it.each(failures)('reports %s', async (reason, make) => {
    expect(await verifyRequestSignature(make(), lookup, options)).toEqual({ ok: false, reason });
  });

  it('refuses an alg parameter that differs from the registered key, rather than following it', async () => {
    const forged = signed(request, { ...HMAC, keyId: ED_PUBLIC.keyId });
    expect(await verifyRequestSignature(forged, lookup, options)).toEqual({ ok: false, reason: 'algorithm-mismatch' });
  });

  it('requires created, keyid and nonce', async () => {
    const headers = { ...request.headers, 'signature-input': 'sig1=("@method");keyid="psk_hmac";created=1', signature: 'sig1=:AA==:' };
    expect(await verifyRequestSignature({ ...request, headers }, lookup, options)).toEqual({ ok: false, reason: 'missing-parameter' });
  });

  it('accepts the first valid signature among several', async () => {
    const good = signRequest(request, HMAC, { created: NOW, nonce: 'n-3', label: 'good' });
    const bad = signRequest(request, { ...HMAC, keyId: 'psk_unknown' }, { created: NOW, label: 'bad' });
    const headers = { ...request.headers, 'signature-input': `${bad['signature-input']}, ${good['signature-input']}`, signature: `${bad.signature}, ${good.signature}` };
    expect(await verifyRequestSignature({ ...request, headers }, lookup, options)).toMatchObject({ ok: true, nonce: 'n-3' });
  });
});

describe('interoperability with the http-message-signatures package', () => {
  const fields = ['@method', '@target-uri', '@authority', 'content-digest'];
  const theirKey = { hmac: createSigner(secret, 'hmac-sha256', HMAC.keyId), ed: createSigner(pair.privateKey, 'ed25519', ED_PUBLIC.keyId) };

  it.each(['hmac', 'ed'] as const)('they verify what we sign (%s)', async (which) => {
    const ours = signed(request, which === 'hmac' ? HMAC : ED_PRIVATE);
    const verifier = which === 'hmac' ? createVerifier(secret, 'hmac-sha256') : createVerifier(pair.publicKey, 'ed25519');
    const result = await httpbis.verifyMessage(
      { keyLookup: async () => ({ id: 'k', algs: ['hmac-sha256', 'ed25519'], verify: verifier }), requiredFields: fields, notAfter: (NOW + 1) * 1000 },
      { method: ours.method, url: ours.url, headers: { ...ours.headers } },
    );
    expect(result).toBe(true);
  });

  it('they refuse what we signed once it is altered', async () => {
    const ours = signed(request, HMAC);
    const result = await httpbis.verifyMessage(
      { keyLookup: async () => ({ id: 'k', algs: ['hmac-sha256'], verify: createVerifier(secret, 'hmac-sha256') }) },
      { method: 'DELETE', url: ours.url, headers: { ...ours.headers } },
    ).catch(() => false);
    expect(result).toBe(false);
  });

  it.each(['hmac', 'ed'] as const)('we verify what they sign (%s)', async (which) => {
    const theirs = await httpbis.signMessage(
      { key: theirKey[which], name: 'sig1', fields, params: ['created', 'keyid', 'alg', 'nonce'], paramValues: { created: new Date(NOW * 1000), nonce: 'their-nonce' } },
      { method: request.method, url: request.url, headers: { ...request.headers } },
    );
    const headers = Object.fromEntries(Object.entries(theirs.headers).map(([name, value]) => [name, String(value)]));
    const result = await verifyRequestSignature({ ...request, headers }, lookup, options);
    expect(result).toEqual({ ok: true, keyId: which === 'hmac' ? HMAC.keyId : ED_PUBLIC.keyId, nonce: 'their-nonce', created: NOW });
  });
});
