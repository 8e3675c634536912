// TLS settings shared by the data-plane and admin listeners (CONTRACT.md §3: TLS 1.2 minimum,
// 1.3 preferred, no weak suites).
import { readFile } from 'node:fs/promises';
import type { SecureContextOptions } from 'node:tls';

export interface TlsMaterial {
  cert: string | Buffer;
  key: string | Buffer;
  /** Extra CA certificates; only needed to send intermediates or to verify client certificates. */
  ca?: string | Buffer;
}

export type TlsServerOptions = SecureContextOptions & {
  minVersion: 'TLSv1.2';
  ciphers: string;
  honorCipherOrder: true;
  ecdhCurve: string;
};


// TLS 1.3 suites are all AEAD with ephemeral key exchange; listing them keeps the policy in one place.
const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

// TLS 1.2: forward-secret ECDHE with AEAD only (Mozilla "intermediate" minus DHE). No CBC (Lucky13,
// padding oracles), no static RSA key exchange (no forward secrecy), no 3DES/RC4/NULL. ECDSA and RSA
// variants both, so an operator's RSA certificate keeps working.
const TLS12_SUITES = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
];

export const TLS_CIPHERS = [...TLS13_SUITES, ...TLS12_SUITES].join(':');

/** Options for `https.createServer` / `tls.createServer`. Node negotiates the highest shared version. */
export function tlsServerOptions(material: TlsMaterial): TlsServerOptions {
  const options: TlsServerOptions = {
    cert: material.cert,
    key: material.key,
    minVersion: 'TLSv1.2',
    ciphers: TLS_CIPHERS,
    honorCipherOrder: true,
    ecdhCurve: 'X25519:P-256:P-384',
  };
  if (material.ca !== undefined) options.ca = material.ca;
  return options;
}

/** Reads a PEM certificate (chain) and key, with an error that names the file at fault. */
export async function loadTlsFiles(certPath: string, keyPath: string): Promise<{ cert: string; key: string }> {
  const [cert, key] = await Promise.all([
    readPem(certPath, 'certificate', /-----BEGIN CERTIFICATE-----/),
    readPem(keyPath, 'private key', /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/),
  ]);
  return { cert, key };
}

async function readPem(path: string, what: string, marker: RegExp): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES' || code === 'EPERM'
          ? 'is not readable by this process'
          : code === 'EISDIR'
            ? 'is a directory'
            : `cannot be read (${code ?? 'unknown error'})`;
    throw new Error(`TLS ${what} file ${path} ${why}; check tls.cert / tls.key in the configuration`, {
      cause: error,
    });
  }
  if (!marker.test(text)) {
    throw new Error(`TLS ${what} file ${path} holds no PEM ${what}; expected a "-----BEGIN ..." block`);
  }
  return text;
}
