// Real handshakes against the options the gateway listens with, from Node, openssl and curl.
// Certificate validation stays on in every client: trust comes from the dev CA, never from a switch.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, get } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevCertificates } from '../../src/server/dev-ca.js';
import type { DevCertificates } from '../../src/server/dev-ca.js';
import { HSTS_HEADER_VALUE } from '../../src/http/headers.js';
import { tlsServerOptions } from '../../src/server/tls.js';

const OPENSSL = '/usr/bin/openssl';
const CURL = '/usr/bin/curl';

let dir: string;
let material: DevCertificates;
let server: Server;
let port: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-tls-'));
  material = await ensureDevCertificates({ dir: join(dir, 'tls') });
  server = createServer(tlsServerOptions(material), (_req, res) => {
    res.setHeader('Strict-Transport-Security', HSTS_HEADER_VALUE);
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

interface Fetched {
  status: number | undefined;
  body: string;
  hsts: string | string[] | undefined;
  protocol: string | null;
  cipher: string;
}

function fetch(url: string, options: { ca: string; family?: 4; maxVersion?: 'TLSv1.2' }): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const request = get(url, { ...options, agent: false, timeout: 5_000 }, (res) => {
      const socket = res.socket as TLSSocket;
      const tls = { protocol: socket.getProtocol(), cipher: socket.getCipher().name };
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode, body, hsts: res.headers['strict-transport-security'], ...tls });
      });
    });
    request.on('timeout', () => request.destroy(new Error('request timed out')));
    request.on('error', reject);
  });
}

function run(command: string, args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // stdin closed: s_client ends the session as soon as the handshake is done.
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

function sClient(...args: string[]): Promise<{ status: number | null; output: string }> {
  const verify = ['-CAfile', material.caCertPath, '-verify_return_error', '-verify_ip', '127.0.0.1'];
  return run(OPENSSL, ['s_client', '-connect', `127.0.0.1:${port}`, ...verify, ...args]);
}

describe('TLS listener', () => {
  it('serves Node clients that trust the dev CA, over TLS 1.3 by default', async () => {
    const byIp = await fetch(`https://127.0.0.1:${port}/`, { ca: material.ca });
    expect(byIp).toMatchObject({ status: 200, body: 'ok', protocol: 'TLSv1.3', hsts: HSTS_HEADER_VALUE });

    const byName = await fetch(`https://localhost:${port}/`, { ca: material.ca, family: 4 });
    expect(byName.status).toBe(200);
  });

  it('prefers an ECDHE AEAD suite when the client caps at TLS 1.2', async () => {
    const res = await fetch(`https://127.0.0.1:${port}/`, { ca: material.ca, maxVersion: 'TLSv1.2' });
    expect(res.protocol).toBe('TLSv1.2');
    expect(res.cipher).toBe('ECDHE-ECDSA-AES128-GCM-SHA256');
  });

  it('fails validation for a client that trusts a different CA', async () => {
    const other = await ensureDevCertificates({ dir: join(dir, 'other') });
    // The server sends its CA along (it is in the `ca` option), so the error names an untrusted root.
    await expect(fetch(`https://127.0.0.1:${port}/`, { ca: other.ca })).rejects.toMatchObject({
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
  });

  // s_client's `New, <protocol>, Cipher is <suite>` line reports the negotiated result. The
  // `Protocol  :` session line is no use here: over TLS 1.3 it waits for a session ticket that may
  // come after stdin's EOF has closed the connection, and on a refusal it echoes the version tried.
  it('accepts openssl s_client over TLS 1.2 and TLS 1.3, with the certificate verified', async () => {
    const [tls12, tls13] = await Promise.all([sClient('-tls1_2'), sClient('-tls1_3')]);
    expect(tls12.status, tls12.output).toBe(0);
    expect(tls12.output).toContain('New, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256');
    expect(tls12.output).toContain('Verification: OK');
    expect(tls13.status, tls13.output).toBe(0);
    expect(tls13.output).toMatch(/New, TLSv1\.3, Cipher is TLS_(AES_\d+_GCM_SHA\d+|CHACHA20_POLY1305_SHA256)/);
    expect(tls13.output).toContain('Verification: OK');
  });

  it('refuses TLS 1.1', async () => {
    // SECLEVEL=0 makes the local OpenSSL willing to offer TLS 1.1, so the refusal is the server's.
    const res = await sClient('-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0');
    expect(res.status).not.toBe(0);
    expect(res.output).toMatch(/alert protocol version/i);
    expect(res.output).toContain('Cipher is (NONE)');
  });

  it('refuses CBC suites on TLS 1.2, with RSA key exchange or with ECDHE', async () => {
    const results = await Promise.all(
      ['AES128-SHA', 'ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA384'].map((suite) =>
        sClient('-tls1_2', '-cipher', suite),
      ),
    );
    for (const res of results) {
      expect(res.status, res.output).not.toBe(0);
      expect(res.output).toMatch(/alert handshake failure/i);
      expect(res.output).toContain('Cipher is (NONE)');
    }
  });

  it('serves curl --cacert ca.pem https://localhost:PORT/', async () => {
    const res = await run(CURL, [
      '--silent',
      '--show-error',
      '--fail',
      '--noproxy',
      '*',
      '--max-time',
      '5',
      '--cacert',
      material.caCertPath,
      `https://localhost:${port}/`,
    ]);
    expect(res.status, res.output).toBe(0);
    expect(res.output).toBe('ok');
  });
});
