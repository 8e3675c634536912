import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { startGateway } from '../../src/server/gateway.js';
import { captureLogs } from '../helpers/log-capture.js';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({});
});
afterAll(async () => t.stop());

/** openssl s_client against the gateway; async, since the gateway answers from this same process. */
function handshake(url: string, ...flags: string[]): Promise<{ ok: boolean; out: string }> {
  const { port } = new URL(url);
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', t.gateway.caFile as string, ...flags];
  return new Promise((resolve) => {
    const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: 10_000 });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.stdin.end();
    child.on('close', (code) => resolve({ ok: code === 0 && /Verify return code: 0 \(ok\)/.test(out), out }));
  });
}

describe('the running gateway', () => {
  for (const listener of ['data plane', 'admin'] as const) {
    it(`${listener}: refuses TLS 1.1 and weak suites, accepts TLS 1.2 and 1.3 with a validated certificate`, async () => {
      const url = listener === 'admin' ? t.gateway.adminUrl : t.gateway.url;
      expect((await handshake(url, '-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0')).ok).toBe(false);
      expect((await handshake(url, '-tls1_2', '-cipher', 'AES128-SHA')).ok).toBe(false);
      const v12 = await handshake(url, '-tls1_2');
      expect(v12.ok, v12.out).toBe(true);
      expect(v12.out).toMatch(/Cipher is ECDHE-/);
      const v13 = await handshake(url, '-tls1_3');
      expect(v13.ok, v13.out).toBe(true);
      expect(v13.out).toMatch(/TLSv1\.3/);
    });
  }

  it('created its master key file, admin token file and dev CA keys with owner-only modes, and said so', () => {
    for (const file of ['master.key', 'admin.token', 'tls/key.pem', 'tls/ca-key.pem']) {
      expect(statSync(join(t.dataDir, file)).mode & 0o777, file).toBe(0o600);
    }
    expect(t.logs.text()).toContain('created a master key file');
  });
});

describe('starting with an unsafe master key file', () => {
  it('refuses to start when master.key is readable by others, naming the file and the fix', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-mk-'));
    try {
      const config = validateConfig({ listen: { port: 0 }, admin: { port: 0 }, dataDir }, 'test', dataDir, {});
      const first = await startGateway({ config, logger: captureLogs().logger, env: {} });
      await first.stop();
      chmodSync(join(dataDir, 'master.key'), 0o644);
      await expect(startGateway({ config, logger: captureLogs().logger, env: {} })).rejects.toThrow(/master\.key.*chmod 600/s);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
