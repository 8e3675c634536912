import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('portcullis demo (npm start)', () => {
  it('prints a curl command that works as printed, with certificate validation on, and stops cleanly', async () => {
    const demo = spawnCli(['demo', '--port', '0', '--admin-port', '0', '--data-dir', join(dir, 'state')], { cwd: dir });
    await demo.waitFor(/Press Ctrl-C to stop/, 30_000);
    const [curl] = demo.output().match(/curl --cacert .*/) ?? [];
    expect(curl).toContain('--cacert');
    expect(curl).not.toMatch(/ -k\b|--insecure/);
    const { stdout } = await promisify(execFile)('sh', ['-c', `${curl} --silent --show-error --fail`]);
    expect(JSON.parse(stdout)).toMatchObject({ id: '1', name: 'Acme Ltd' });

    // The printed key is the consumer's only one, and it never reaches the log lines.
    const [key] = demo.output().match(/pck_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}/) ?? [];
    const logLines = demo.output().split('\n').filter((line) => line.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) expect(line).not.toContain(key);

    demo.child.kill('SIGINT');
    expect(await demo.exit).toBe(0);
  });
});
