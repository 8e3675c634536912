import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCredential } from '@portcullis/protocol';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureDevCertificates } from '../../src/server/dev-ca.js';
import { BIN, runCli } from '../helpers/cli.js';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';

/** Each connection mistake gets its own cause and fix, through the real command against a real gateway. */

vi.setConfig({ testTimeout: 60_000 }); // each step spawns the real command

let t: TestGateway;
let scratch: string;
let config: string;
let adminPort: string;

beforeAll(async () => {
  t = await startTestGateway({});
  scratch = mkdtempSync(join(tmpdir(), 'portcullis-cli-'));
  adminPort = new URL(t.gateway.adminUrl).port;
  const dataPort = new URL(t.gateway.url).port;
  // A configuration the operator may not fully read: TLS files that do not exist here, unknown services.
  // The admin commands need only admin.*, listen.port and dataDir from it.
  config = join(scratch, 'portcullis.yaml');
  writeFileSync(
    config,
    `listen: { port: ${dataPort} }\nadmin: { host: 127.0.0.1, port: ${adminPort} }\ndataDir: ${t.dataDir}\n` +
      'tls: { cert: /nonexistent/cert.pem, key: /nonexistent/key.pem }\nservices: [{ name: x, upstream: "http://127.0.0.1:1", routes: [] }]\n',
  );
});
afterAll(async () => {
  await t.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function stderrOf(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { code, stdout, stderr } = await runCli(args, env);
  expect(code, stderr).not.toBe(0);
  expect(stdout).toBe('');
  return stderr;
}

describe('the admin commands read only what they need from the configuration', () => {
  it('work with a config whose TLS key cannot be read, taking the admin URL and dataDir from it', async () => {
    const { code, stdout, stderr } = await runCli(['consumers', 'list', '--config', config, '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ consumers: [] });
  });
});

describe('connection errors name their cause', () => {
  it('an http:// admin URL', async () => {
    const stderr = await stderrOf(['consumers', 'list', '--config', config, '--admin-url', `http://127.0.0.1:${adminPort}`]);
    expect(stderr).toContain('--admin-url: the admin API is served over HTTPS only');
    expect(stderr).toContain(`use https://127.0.0.1:${adminPort}`);
  });

  it('a URL without a scheme', async () => {
    const stderr = await stderrOf(['consumers', 'list', '--config', config, '--admin-url', `127.0.0.1:${adminPort}`]);
    expect(stderr).toContain(`--admin-url: "127.0.0.1:${adminPort}" has no scheme`);
    expect(stderr).toContain(`write https://127.0.0.1:${adminPort}`);
  });

  it('the data-plane port given as the admin URL', async () => {
    const stderr = await stderrOf(['consumers', 'list', '--config', config, '--admin-url', t.gateway.url]);
    expect(stderr).toContain('is not the Portcullis admin API: is it the data-plane port?');
    expect(stderr).toContain(`is listen.port, the data plane: the admin API is on admin.port (${adminPort})`);
  });

  it('a certificate that does not verify, and which CA file to pass', async () => {
    const other = await ensureDevCertificates({ dir: join(scratch, 'other-ca'), hostnames: ['127.0.0.1'] });
    const stderr = await stderrOf(['consumers', 'list', '--config', config, '--ca', other.caCertPath]);
    expect(stderr).toContain(`does not verify against the CA file ${other.caCertPath}`);
    expect(stderr).toContain(`pass --ca FILE with the CA that signed it; with \`tls: auto\` that is ${join(t.dataDir, 'tls', 'ca.pem')} in the gateway's dataDir`);

    // No --ca and no dev CA in the data directory: the system's trust store, which does not know our CA.
    const bare = join(scratch, 'bare');
    mkdirSync(bare);
    const stderr2 = await stderrOf(['consumers', 'list', '--data-dir', bare, '--admin-url', t.gateway.adminUrl], { PORTCULLIS_ADMIN_TOKEN: 'pca_x' });
    expect(stderr2).toContain("does not verify against the system's trusted CAs");
  });

  it('nothing listening', async () => {
    const stderr = await stderrOf(['consumers', 'list', '--config', config, '--admin-url', 'https://127.0.0.1:1']);
    expect(stderr).toContain('nothing is listening at https://127.0.0.1:1 (ECONNREFUSED): is the gateway running?');
  });

  it('a refused token, saying whether it came from PORTCULLIS_ADMIN_TOKEN or the token file', async () => {
    const planted = generateCredential('adminToken').value;
    const fromEnv = await stderrOf(['consumers', 'list', '--config', config], { PORTCULLIS_ADMIN_TOKEN: planted });
    expect(fromEnv).toContain('refused the admin token from PORTCULLIS_ADMIN_TOKEN');
    expect(fromEnv).not.toContain(planted);

    const otherDir = join(scratch, 'other-data');
    mkdirSync(otherDir);
    writeFileSync(join(otherDir, 'admin.token'), `${planted}\n`);
    chmodSync(join(otherDir, 'admin.token'), 0o600);
    const fromFile = await stderrOf(['consumers', 'list', '--config', config, '--data-dir', otherDir, '--ca', join(t.dataDir, 'tls', 'ca.pem')], { PORTCULLIS_ADMIN_TOKEN: '' });
    expect(fromFile).toContain(`refused the admin token from the token file ${join(otherDir, 'admin.token')}`);
    expect(fromFile).not.toContain(planted);
  });
});

describe('human output', () => {
  const hasScript = spawnSync('script', ['--version']).status === 0;
  let args: string[];
  beforeAll(async () => {
    args = ['consumers', 'list', '--config', config];
    expect((await runCli(['consumers', 'create', '--name', 'colour-check', '--config', config])).code).toBe(0);
  });
  const ESC = '\x1b[';

  it('is a table without colour codes when stdout is not a terminal, and with them when FORCE_COLOR asks, unless NO_COLOR is set', async () => {
    const piped = await runCli(args);
    expect(piped.stdout).toMatch(/^ID\s+NAME\s+STATUS\s+CREATED\n/);
    expect(piped.stdout).toContain('colour-check');
    expect(piped.stdout).not.toContain(ESC);
    expect((await runCli(args, { FORCE_COLOR: '1' })).stdout).toContain(`${ESC}32mactive`);
    expect((await runCli(args, { FORCE_COLOR: '1', NO_COLOR: '1' })).stdout).not.toContain(ESC);
  });

  it.runIf(hasScript)('is coloured on a real terminal, and not with NO_COLOR (needs util-linux `script` for a pty)', async () => {
    // Async: the gateway runs in this process, so the event loop must stay free while the command runs.
    const onTty = async (extra: NodeJS.ProcessEnv) => {
      const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm', ...extra };
      delete env.FORCE_COLOR;
      const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
      const { stdout } = await promisify(execFile)('script', ['-qec', command, '/dev/null'], { env });
      return stdout;
    };
    expect(await onTty({})).toContain(`${ESC}32mactive`);
    expect(await onTty({ NO_COLOR: '1' })).not.toContain(ESC);
  });
});
