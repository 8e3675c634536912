import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli, runCli } from '../helpers/cli.js';
import { startRecordingUpstream } from '../helpers/upstream.js';

let dir: string;
let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-lifecycle-'));
  upstream = await startRecordingUpstream();
});
afterAll(async () => {
  await upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('portcullis start', () => {
  it('drains an in-flight request on SIGTERM, then exits 0', async () => {
    const config = join(dir, 'portcullis.yaml');
    writeFileSync(
      config,
      `listen: { port: 0 }\nadmin: { port: 0 }\ndataDir: ./data\nservices:\n  - name: slow\n    upstream: ${upstream.url}\n    routes:\n      - { match: "GET /slow", public: true }\n`,
    );
    upstream.onRequest((_req, res) => setTimeout(() => res.end('{"finished":true}'), 700));
    const gw = spawnCli(['start', '--config', config]);
    const [, url] = await gw.waitFor(/"url":"(https:\/\/[^"]+)"/);
    // First start: a one-time console setup link on the terminal, its token never in a log line.
    const [, token] = await gw.waitFor(/\/console\/setup#token=([A-Za-z0-9_-]{43})/);
    const agent = new Agent({ connect: { ca: readFileSync(join(dir, 'data', 'tls', 'ca.pem')) } });
    const inFlight = request(`${url}/slow`, { dispatcher: agent });
    await new Promise((r) => setTimeout(r, 200));
    gw.child.kill('SIGTERM');
    const res = await inFlight;
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ finished: true });
    expect(await gw.exit).toBe(0);
    expect(gw.output()).toContain('gateway stopped');
    expect(gw.output().split('\n').filter((line) => line.startsWith('{') && line.includes(token as string))).toEqual([]);
    await expect(request(`${url}/slow`, { dispatcher: agent })).rejects.toThrow();
    await agent.close();
  });

  it('refuses an invalid configuration with exit code 2 and the key path on stderr', async () => {
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'listen: { port: 99999 }\n');
    const { code, stderr } = await runCli(['start', '--config', config]);
    expect(code).toBe(2);
    expect(stderr).toContain('listen.port');
  });

  it('init writes a configuration that start accepts', async () => {
    const config = join(dir, 'init.yaml');
    expect((await runCli(['init', '--config', config])).code).toBe(0);
    expect(readFileSync(config, 'utf8')).toContain('services:');
    const again = await runCli(['init', '--config', config]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists');
  });
});
