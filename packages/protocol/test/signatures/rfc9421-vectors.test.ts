/** RFC 9421 Appendix B.2.5 and B.2.6, and RFC 9530 / RFC 9421 B.2 digests: published known answers. */
import { createHmac, createPrivateKey, createPublicKey, createSecretKey, sign, verify } from 'node:crypto';
import { parseDictionary } from 'structured-headers';
import type { InnerList } from 'structured-headers';
import { describe, expect, it } from 'vitest';
import { contentDigest, parseContentDigest, signatureBase, verifyRequestSignature } from '../../src/index.js';
import type { SignableRequest } from '../../src/index.js';

// RFC 9421 B.1.5 and B.1.4: published test keys, not secrets of ours.
const SHARED_SECRET = 'uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==';
const ED25519_PRIVATE = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n';
const ED25519_PUBLIC = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n-----END PUBLIC KEY-----\n';

const BODY = Buffer.from('{"hello": "world"}');
/** RFC 9421 B.2, the test request. */
const REQUEST: SignableRequest = {
  method: 'POST',
  url: 'https://example.com/foo?param=Value&Pet=dog',
  headers: {
    Host: 'example.com',
    Date: 'Tue, 20 Apr 2021 02:07:55 GMT',
    'Content-Type': 'application/json',
    'Content-Digest': 'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
    'Content-Length': '18',
  },
};

function inputOf(signatureInput: string, label: string): InnerList {
  return parseDictionary(signatureInput).get(label) as InnerList;
}

function signatureBytes(signature: string, label: string): Buffer {
  return Buffer.from((parseDictionary(signature).get(label) as [ArrayBuffer, unknown])[0]);
}

describe('RFC 9421 B.2.5: signing a request using hmac-sha256', () => {
  const input = 'sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"';
  const signature = 'sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:';

  it('builds the published signature base', () => {
    expect(signatureBase(REQUEST, inputOf(input, 'sig-b25'))).toBe(
      [
        '"date": Tue, 20 Apr 2021 02:07:55 GMT',
        '"@authority": example.com',
        '"content-type": application/json',
        '"@signature-params": ("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"',
      ].join('\n'),
    );
  });

  it('produces the published HMAC over that base', () => {
    const mac = createHmac('sha256', createSecretKey(Buffer.from(SHARED_SECRET, 'base64')))
      .update(signatureBase(REQUEST, inputOf(input, 'sig-b25')))
      .digest();
    expect(mac.equals(signatureBytes(signature, 'sig-b25'))).toBe(true);
  });

  it('is refused by our verifier only for want of the nonce Portcullis requires', async () => {
    const signed = { ...REQUEST, headers: { ...REQUEST.headers, 'Signature-Input': input, Signature: signature } };
    const result = await verifyRequestSignature(signed, () => undefined, { now: 1618884473, maxAgeSeconds: 300, requiredComponents: [] });
    expect(result).toEqual({ ok: false, reason: 'missing-parameter' });
  });
});

describe('RFC 9421 B.2.6: signing a request using ed25519', () => {
  const input =
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"';
  const signature = 'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:';
  const base = () => signatureBase(REQUEST, inputOf(input, 'sig-b26'));

  it('builds the published signature base', () => {
    expect(base()).toBe(
      [
        '"date": Tue, 20 Apr 2021 02:07:55 GMT',
        '"@method": POST',
        '"@path": /foo',
        '"@authority": example.com',
        '"content-type": application/json',
        '"content-length": 18',
        '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
      ].join('\n'),
    );
  });

  it('signs to the published (deterministic) Ed25519 signature, which the public key verifies', () => {
    const expected = signatureBytes(signature, 'sig-b26');
    expect(sign(null, Buffer.from(base()), createPrivateKey(ED25519_PRIVATE)).equals(expected)).toBe(true);
    expect(verify(null, Buffer.from(base()), createPublicKey(ED25519_PUBLIC), expected)).toBe(true);
  });
});

describe('RFC 9530 Content-Digest', () => {
  it('matches the published digests of {"hello": "world"}', () => {
    expect(contentDigest(BODY)).toBe('sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:'); // RFC 9530 §2
    expect(contentDigest(BODY, 'sha-512')).toBe(REQUEST.headers['Content-Digest']); // RFC 9421 B.2
  });

  it('parses the strongest supported digest and ignores unknown ones', () => {
    const parsed = parseContentDigest('md5=:AAAA:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:');
    expect(parsed?.algorithm).toBe('sha-256');
    expect(Buffer.from(parsed?.digest ?? []).toString('base64')).toBe('X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=');
    expect(parseContentDigest('md5=:AAAA:')).toBeUndefined();
    expect(parseContentDigest('sha-256="not bytes"')).toBeUndefined();
    expect(parseContentDigest('((((')).toBeUndefined();
  });
});
