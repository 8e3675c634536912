import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { BIN, spawnCli } from '../helpers/cli.js';

vi.setConfig({ testTimeout: 150_000 }); // a real demo process, then the command a second time

const dir = mkdtempSync(join(tmpdir(), 'portcullis-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('portcullis demo (npm start)', () => {
  it('prints a curl command that works as printed, with certificate validation on, and stops cleanly', async () => {
    // No --data-dir: the default must be the demo's own folder, not the production dataDir.
    const demo = spawnCli(['demo', '--port', '0', '--admin-port', '0'], { cwd: dir });
    await demo.waitFor(/Press Ctrl-C to stop/, 90_000); // PGlite starts slowly on a loaded machine
    const [curl] = demo.output().match(/curl --cacert .*/) ?? [];
    expect(demo.output()).toMatch(/console:\s+https:\/\/\S+\/console\/setup#token=[A-Za-z0-9_-]{43}\n/);
    expect(curl).toContain('--cacert');
    expect(curl).not.toMatch(/ -k\b|--insecure/);
    const { stdout } = await promisify(execFile)('sh', ['-c', `${curl} --silent --show-error --fail`]);
    expect(JSON.parse(stdout)).toMatchObject({ id: '1', name: 'Acme Ltd' });

    // The printed key is the consumer's only one, and it never reaches the log lines.
    const [key] = demo.output().match(/pck_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}/) ?? [];
    const logLines = demo.output().split('\n').filter((line) => line.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) expect(line).not.toContain(key);

    // The hint carries this demo's admin URL and state folder, and works as printed (npm exec finds the
    // checkout's command; here the same command is run by path).
    const admin = /admin:\s+(https:\/\/\S+)/.exec(demo.output())?.[1] as string;
    const [hint] = demo.output().match(/npm exec --no -- portcullis keys list .*/) ?? [];
    expect(hint).toBe(`npm exec --no -- portcullis keys list --admin-url ${admin} --data-dir .portcullis-demo`);
    const listed = await promisify(execFile)(process.execPath, [BIN, ...(hint as string).split(' ').slice(5), '--json'], { cwd: dir });
    expect((JSON.parse(listed.stdout) as { keys: { id: string; status: string }[] }).keys).toContainEqual(
      expect.objectContaining({ id: key?.split('_')[1], status: 'active' }),
    );
    expect(existsSync(join(dir, '.portcullis-demo', 'admin.token'))).toBe(true);
    expect(existsSync(join(dir, '.portcullis'))).toBe(false);

    demo.child.kill('SIGINT');
    expect(await demo.exit).toBe(0);
  });
});
