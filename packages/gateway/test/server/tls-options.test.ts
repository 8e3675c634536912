import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCiphers } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { HSTS_HEADER_VALUE } from '../../src/http/headers.js';
import { TLS_CIPHERS, loadTlsFiles, tlsServerOptions } from '../../src/server/tls.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-tls-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n';

describe('tlsServerOptions', () => {
  it('sets TLS 1.2 as the floor, server cipher order and modern curves', () => {
    const options = tlsServerOptions({ cert: CERT, key: KEY });
    expect(options).toEqual({
      cert: CERT,
      key: KEY,
      minVersion: 'TLSv1.2',
      ciphers: TLS_CIPHERS,
      honorCipherOrder: true,
      ecdhCurve: 'X25519:P-256:P-384',
    });
    expect(options).not.toHaveProperty('maxVersion'); // so TLS 1.3 stays available and preferred
    expect(tlsServerOptions({ cert: CERT, key: KEY, ca: CERT }).ca).toBe(CERT);
  });

  it('lists only TLS 1.3 suites and ECDHE + AEAD TLS 1.2 suites', () => {
    const suites = TLS_CIPHERS.split(':');
    for (const suite of suites) {
      const tls13 = /^TLS_(AES_\d+_GCM|CHACHA20_POLY1305)_SHA\d+$/;
      const tls12 = /^ECDHE-(ECDSA|RSA)-(AES\d+-GCM-SHA\d+|CHACHA20-POLY1305)$/;
      expect(tls13.test(suite) || tls12.test(suite), suite).toBe(true);
      expect(suite).not.toMatch(/CBC|3DES|DES-CBC|RC4|NULL|MD5|EXPORT|PSK|SRP|^DHE-|^AES|-SHA$/);
    }
    // Every name is one this OpenSSL knows, so none is silently dropped from the list.
    const known = new Set(getCiphers().map((name) => name.toUpperCase()));
    for (const suite of suites) expect(known).toContain(suite);
  });

  it('sends HSTS for two years with subdomains and without preload', () => {
    expect(HSTS_HEADER_VALUE).toBe('max-age=63072000; includeSubDomains');
  });
});

describe('loadTlsFiles', () => {
  it('reads a PEM certificate and key', async () => {
    writeFileSync(join(dir, 'cert.pem'), CERT);
    writeFileSync(join(dir, 'key.pem'), KEY, { mode: 0o600 });
    await expect(loadTlsFiles(join(dir, 'cert.pem'), join(dir, 'key.pem'))).resolves.toEqual({ cert: CERT, key: KEY });
  });

  it('names the missing file', async () => {
    writeFileSync(join(dir, 'cert.pem'), CERT);
    const missing = join(dir, 'nope-key.pem');
    await expect(loadTlsFiles(join(dir, 'cert.pem'), missing)).rejects.toThrow(
      `TLS private key file ${missing} does not exist`,
    );
  });

  it('names a file that is not PEM, or a directory', async () => {
    writeFileSync(join(dir, 'der.pem'), Buffer.from([0x30, 0x82, 0x01, 0x00]));
    await expect(loadTlsFiles(join(dir, 'der.pem'), join(dir, 'key.pem'))).rejects.toThrow(
      `TLS certificate file ${join(dir, 'der.pem')} holds no PEM certificate`,
    );
    await expect(loadTlsFiles(dir, join(dir, 'key.pem'))).rejects.toThrow(`TLS certificate file ${dir} is a directory`);
  });
});
