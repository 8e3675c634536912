import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../helpers/cli.js';

/**
 * A start that fails on a busy port names what to change (the config key, or the demo's flag), and
 * leaves nothing on disk: no data directory, CA, master key, token or lock.
 */

vi.setConfig({ testTimeout: 60_000 }); // each step spawns the real command

let dir: string;
let busy: Server;
let busyPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-busy-'));
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((resolve) => busy.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function configWith(name: string, listenPort: number, adminPort: number): { file: string; dataDir: string } {
  const dataDir = join(dir, `${name}-data`);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `listen: { port: ${listenPort} }\nadmin: { port: ${adminPort} }\ndataDir: ${dataDir}\nservices: []\n`);
  return { file, dataDir };
}

describe('a port already in use', () => {
  it.each([
    ['listen', 'listen.port'],
    ['admin', 'admin.port'],
  ] as const)('on %s: names %s in the config file, exits 2, and creates nothing', async (which, key) => {
    const { file, dataDir } = which === 'listen' ? configWith(which, busyPort, 0) : configWith(which, 0, busyPort);
    const { code, stdout, stderr } = await runCli(['start', '--config', file]);
    expect(code).toBe(2);
    // Warnings about the configuration are logged first, with the key: this one has no services.
    expect(stdout).toContain('services: none are configured');
    expect(stderr).toContain(`portcullis: port ${busyPort} on 127.0.0.1 is already in use: change ${key} in ${file}`);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('in the demo: names the flag', async () => {
    const dataDir = join(dir, 'demo-state');
    const { code, stderr } = await runCli(['demo', '--port', '0', '--admin-port', String(busyPort), '--data-dir', dataDir]);
    expect(code).toBe(2);
    expect(stderr).toContain(`port ${busyPort} on 127.0.0.1 is already in use: change --admin-port`);
    expect(existsSync(dataDir)).toBe(false);
  });
});
