import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureDevCertificates } from '../../src/server/dev-ca.js';

const DAY_MS = 86_400_000;
const T0 = new Date('2030-01-15T12:00:00Z');
const at = (days: number): Date => new Date(T0.getTime() + days * DAY_MS);

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-dev-ca-'));
  dirs.push(dir);
  return join(dir, 'tls'); // not created yet: ensureDevCertificates must make it
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const mode = (path: string): number => statSync(path).mode & 0o777;
const read = (dir: string, name: string): string => readFileSync(join(dir, name), 'utf8');
const posix = process.platform !== 'win32';

function sans(pem: string): string[] {
  return (new X509Certificate(pem).subjectAltName ?? '').split(', ').sort();
}

describe('ensureDevCertificates', () => {
  it('creates the CA and leaf files with private modes', async () => {
    const dir = tempDir();
    const result = await ensureDevCertificates({ dir, now: T0 });

    expect(result.created).toBe(true);
    expect(result.caCertPath).toBe(join(dir, 'ca.pem'));
    expect(result.certPath).toBe(join(dir, 'cert.pem'));
    expect(result.keyPath).toBe(join(dir, 'key.pem'));
    expect(result.ca).toBe(read(dir, 'ca.pem'));
    expect(result.cert).toBe(read(dir, 'cert.pem'));
    expect(result.key).toBe(read(dir, 'key.pem'));
    expect(readdirSync(dir).sort()).toEqual(['ca-key.pem', 'ca.pem', 'cert.pem', 'key.pem']); // no temp files left
    if (posix) {
      expect(mode(dir)).toBe(0o700);
      expect(mode(join(dir, 'ca.pem'))).toBe(0o644);
      expect(mode(join(dir, 'ca-key.pem'))).toBe(0o600);
      expect(mode(join(dir, 'cert.pem'))).toBe(0o644);
      expect(mode(join(dir, 'key.pem'))).toBe(0o600);
    }
  });

  it('issues a CA constrained to signing leaves and a leaf that verifies against it', async () => {
    const { ca, cert, key } = await ensureDevCertificates({ dir: tempDir(), now: T0 });
    const caCert = new X509Certificate(ca);
    const leaf = new X509Certificate(cert);

    expect(caCert.ca).toBe(true);
    expect(caCert.subject).toMatch(/^CN=Portcullis Development CA \(.+\)/);
    expect(caCert.checkIssued(caCert)).toBe(true);
    expect(caCert.verify(caCert.publicKey)).toBe(true);
    expect(caCert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(caCert.serialNumber.replace(/^0+/, '').length).toBeGreaterThan(24); // ~128 random bits
    expect(Date.parse(caCert.validTo) - Date.parse(caCert.validFrom)).toBeGreaterThanOrEqual(5 * 365 * DAY_MS);

    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(caCert)).toBe(true);
    expect(leaf.verify(caCert.publicKey)).toBe(true);
    expect(leaf.checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // node reports the EKU here: serverAuth only
    expect(Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)).toBeLessThanOrEqual(397 * DAY_MS);
    expect(leaf.serialNumber).not.toBe(caCert.serialNumber);
  });

  it('puts localhost, 127.0.0.1, ::1 and the requested names in the SAN, IP literals as IP SANs', async () => {
    // Wildcard bind addresses are dropped and duplicates merged.
    const { cert } = await ensureDevCertificates({
      dir: tempDir(),
      now: T0,
      hostnames: ['gateway.test', 'API.Example.Test.', '10.1.2.3', '[fd00::7]', '0.0.0.0', '::', 'localhost'],
    });
    expect(sans(cert)).toEqual(
      [
        'DNS:localhost',
        'DNS:gateway.test',
        'DNS:api.example.test',
        'IP Address:127.0.0.1',
        'IP Address:0:0:0:0:0:0:0:1',
        'IP Address:10.1.2.3',
        'IP Address:FD00:0:0:0:0:0:0:7',
      ].sort(),
    );
    const leaf = new X509Certificate(cert);
    expect(leaf.checkHost('gateway.test')).toBe('gateway.test');
    expect(leaf.checkIP('10.1.2.3')).toBe('10.1.2.3');
    expect(leaf.checkHost('10.1.2.3')).toBeUndefined(); // an IP never matches as a DNS name
  });

  it('rejects a hostname that is neither a DNS name nor an IP address', async () => {
    await expect(ensureDevCertificates({ dir: tempDir(), hostnames: ['bad host'] })).rejects.toThrow(TypeError);
  });

  it('reuses valid files on the next call, byte for byte', async () => {
    const dir = tempDir();
    const first = await ensureDevCertificates({ dir, now: T0 });
    const files = ['ca.pem', 'ca-key.pem', 'cert.pem', 'key.pem'].map((name) => readFileSync(join(dir, name)));
    const second = await ensureDevCertificates({ dir, now: at(100) });

    expect(second.created).toBe(false);
    expect(second).toEqual({ ...first, created: false });
    const after = ['ca.pem', 'ca-key.pem', 'cert.pem', 'key.pem'].map((name) => readFileSync(join(dir, name)));
    expect(after).toEqual(files);
  });

  it('renews a leaf that expires within 30 days and keeps the CA', async () => {
    const dir = tempDir();
    const first = await ensureDevCertificates({ dir, now: T0 });
    const caKey = read(dir, 'ca-key.pem');
    const renewed = await ensureDevCertificates({ dir, now: at(380) });

    expect(renewed.created).toBe(true);
    expect(renewed.ca).toBe(first.ca);
    expect(read(dir, 'ca-key.pem')).toBe(caKey);
    expect(renewed.cert).not.toBe(first.cert);
    expect(renewed.key).not.toBe(first.key);
    const leaf = new X509Certificate(renewed.cert);
    expect(leaf.verify(new X509Certificate(renewed.ca).publicKey)).toBe(true);
    expect(Date.parse(leaf.validTo)).toBeGreaterThan(at(380 + 390).getTime());
    if (posix) expect(mode(join(dir, 'key.pem'))).toBe(0o600);
  });

  it('renews the leaf, not the CA, when a new hostname is requested', async () => {
    const dir = tempDir();
    const first = await ensureDevCertificates({ dir, now: T0 });
    const wider = await ensureDevCertificates({ dir, now: T0, hostnames: ['portcullis.test'] });

    expect(wider.created).toBe(true);
    expect(wider.ca).toBe(first.ca);
    expect(sans(wider.cert)).toContain('DNS:portcullis.test');
    const again = await ensureDevCertificates({ dir, now: T0, hostnames: ['portcullis.test'] });
    expect(again.created).toBe(false);
  });

  it('regenerates the CA and the leaf when the CA is expiring', async () => {
    const dir = tempDir();
    const first = await ensureDevCertificates({ dir, now: T0 });
    const later = await ensureDevCertificates({ dir, now: at(5 * 365 - 10) });

    expect(later.created).toBe(true);
    expect(later.ca).not.toBe(first.ca);
    expect(new X509Certificate(later.cert).checkIssued(new X509Certificate(later.ca))).toBe(true);
  });

  it('regenerates a leaf whose key does not match or that another CA signed', async () => {
    const dir = tempDir();
    const first = await ensureDevCertificates({ dir, now: T0 });
    const other = await ensureDevCertificates({ dir: tempDir(), now: T0 });

    writeFileSync(join(dir, 'key.pem'), other.key, { mode: 0o600 });
    const mismatched = await ensureDevCertificates({ dir, now: T0 });
    expect(mismatched.created).toBe(true);
    expect(mismatched.ca).toBe(first.ca);

    writeFileSync(join(dir, 'cert.pem'), other.cert);
    writeFileSync(join(dir, 'key.pem'), other.key, { mode: 0o600 });
    const foreign = await ensureDevCertificates({ dir, now: T0 });
    expect(foreign.created).toBe(true);
    expect(new X509Certificate(foreign.cert).checkIssued(new X509Certificate(first.ca))).toBe(true);
  });

  it('regenerates everything when the CA certificate is unreadable', async () => {
    const dir = tempDir();
    const first = await ensureDevCertificates({ dir, now: T0 });
    writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\ngarbage\n');
    const again = await ensureDevCertificates({ dir, now: T0 });
    expect(again.created).toBe(true);
    expect(again.ca).not.toBe(first.ca);
    expect(again.cert).not.toBe(first.cert);
  });

  it.runIf(posix)('refuses a private key file readable by group, naming the file and the fix', async () => {
    const dir = tempDir();
    await ensureDevCertificates({ dir, now: T0 });
    const keyPath = join(dir, 'key.pem');
    chmodSync(keyPath, 0o640);
    const before = read(dir, 'key.pem');

    await expect(ensureDevCertificates({ dir, now: T0 })).rejects.toThrow(
      `Refusing to use the private key ${keyPath}: its mode 0640 lets group or others read or write it. ` +
        `Restrict it with \`chmod 600 ${keyPath}\``,
    );
    expect(read(dir, 'key.pem')).toBe(before); // refused, not silently replaced
  });

  it.runIf(posix)('refuses a CA key file writable by others', async () => {
    const dir = tempDir();
    await ensureDevCertificates({ dir, now: T0 });
    const caKeyPath = join(dir, 'ca-key.pem');
    chmodSync(caKeyPath, 0o602);
    await expect(ensureDevCertificates({ dir, now: T0 })).rejects.toThrow(`chmod 600 ${caKeyPath}`);
  });
});
