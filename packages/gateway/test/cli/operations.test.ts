import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';

let t: TestGateway;
let common: string[];

beforeAll(async () => {
  t = await startTestGateway({});
  const config = join(t.dataDir, 'portcullis.yaml');
  writeFileSync(config, `dataDir: ${t.dataDir}\n`);
  common = ['--config', config, '--admin-url', t.gateway.adminUrl, '--json'];
});
afterAll(async () => t.stop());

describe('portcullis audit verify and keyring rotate', () => {
  it('verifies an intact chain, and finds the first altered record (exit 3)', async () => {
    for (const name of ['a', 'b', 'c']) expect((await runCli(['consumers', 'create', '--name', name, ...common])).code).toBe(0);
    const intact = await runCli(['audit', 'verify', ...common]);
    expect(intact.code).toBe(0);
    const report = JSON.parse(intact.stdout) as { ok: boolean; records: number; head: string };
    expect(report).toMatchObject({ ok: true, records: 3 });
    expect(report.head).toMatch(/^[0-9a-f]{64}$/);

    const [second] = await t.gateway.db.query<{ seq: string }>('SELECT seq FROM audit_events ORDER BY seq OFFSET 1 LIMIT 1');
    await t.gateway.db.query(`UPDATE audit_events SET detail = '{"name":"mallory"}' WHERE seq = $1`, [second?.seq]);
    const broken = await runCli(['audit', 'verify', ...common]);
    expect(broken.code).toBe(3);
    expect(JSON.parse(broken.stdout)).toEqual({ ok: false, records: 1, brokenAt: second?.seq, reason: 'tampered', message: expect.stringContaining(`record ${second?.seq} was altered`) });
  });

  it('rotates the keyring: a new active data key, old ciphertexts still readable', async () => {
    const before = await t.gateway.keyring.encrypt('webhook-secret', 'test:1');
    const oldKeyId = t.gateway.keyring.activeKeyId;
    const { code, stdout } = await runCli(['keyring', 'rotate', ...common]);
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { dataKeyId: string; rewrapped: number };
    expect(result.dataKeyId).not.toBe(oldKeyId);
    await t.gateway.keyring.refresh();
    expect((await t.gateway.keyring.encrypt('x', 'test:2')).split('.')[1]).toBe(result.dataKeyId);
    expect((await t.gateway.keyring.decrypt(before, 'test:1')).toString()).toBe('webhook-secret');
  });

  it('answers 405 with an Allow header for a known path and the wrong method', async () => {
    const token = readFileSync(join(t.dataDir, 'admin.token'), 'utf8').trim();
    const reply = await t.admin('/admin/v1/keyring/rotate', { method: 'GET', headers: { authorization: `Bearer ${token}` } });
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe('POST');
    expect(reply.headers['content-type']).toBe('application/problem+json');
  });
});
