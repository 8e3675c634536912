import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';

// Every step spawns the real command (a new Node process each): allow for a loaded machine.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

let t: TestGateway;
let common: string[];
let consumer = '';

/** Runs `portcullis <args> --json` (with the token file, or the token given) and parses its one JSON document. */
async function json<T>(args: string[], token?: string): Promise<T> {
  const { code, stdout, stderr } = await runCli([...args, ...common, '--json'], token ? { PORTCULLIS_ADMIN_TOKEN: token } : {});
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as T;
}

beforeAll(async () => {
  t = await startTestGateway();
  const config = join(t.dataDir, 'portcullis.yaml');
  writeFileSync(config, `dataDir: ${t.dataDir}\n`);
  common = ['--config', config, '--admin-url', t.gateway.adminUrl];
  // The consumers through the API directly: only the admin-tokens commands are under test here.
  const token = readFileSync(join(t.dataDir, 'admin.token'), 'utf8').trim();
  for (const name of ['team-a', 'team-b']) {
    const reply = await t.admin('/admin/v1/consumers', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
    expect(reply.status, reply.text).toBe(201);
    consumer ||= (reply.json() as { id: string }).id;
  }
});
afterAll(async () => t?.stop());

describe('portcullis admin-tokens', () => {
  it('creates a developer token limited to a consumer, shown once; it reaches that consumer only', async () => {
    const made = await json<{ id: string; token: string; role: string; consumers: string[]; expiresAt: string }>([
      'admin-tokens', 'create', '--role', 'developer', '--consumer', consumer, '--expires-in', '30d', '--name', 'team a ci',
    ]);
    expect(made).toMatchObject({ role: 'developer', consumers: [consumer], status: 'active' });
    expect(made.token).toMatch(/^pca_/);
    expect(Date.parse(made.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const seen = await json<{ consumers: { id: string }[] }>(['consumers', 'list'], made.token);
    expect(seen.consumers.map((c) => c.id)).toEqual([consumer]);

    const listed = await runCli(['admin-tokens', 'list', ...common, '--json']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(made.token);
    const tokens = (JSON.parse(listed.stdout) as { tokens: { id: string; name: string; role: string }[] }).tokens;
    expect(tokens.map((x) => x.name)).toEqual(['bootstrap', 'team a ci']);
  });

  it('prints the token once in human form, with what it reaches', async () => {
    const { code, stdout } = await runCli(['admin-tokens', 'create', '--role', 'auditor', ...common]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^pca_\S+\n/);
    expect(stdout).toContain('only time the token is shown');
    expect(stdout).toMatch(/role:\s+auditor/);
  });

  it('refuses a role above the caller’s own, naming why', async () => {
    const admin = await json<{ token: string }>(['admin-tokens', 'create', '--role', 'admin']);
    const { code, stderr } = await runCli(['admin-tokens', 'create', '--role', 'owner', ...common], { PORTCULLIS_ADMIN_TOKEN: admin.token });
    expect(code).not.toBe(0);
    expect(stderr).toContain('may not do this (the role admin cannot grant the role owner');
  });

  it('refuses an unknown role and a bad duration, naming the flag', async () => {
    const role = await runCli(['admin-tokens', 'create', '--role', 'root', ...common]);
    expect(role.code).not.toBe(0);
    expect(role.stderr).toMatch(/--role: .*owner.*admin.*developer.*auditor/);
    const duration = await runCli(['admin-tokens', 'create', '--role', 'auditor', '--expires-in', 'soon', ...common]);
    expect(duration.code).toBe(2);
    expect(duration.stderr).toContain('--expires-in');
  });

  it('revokes a token: refused from then on', async () => {
    const made = await json<{ id: string; token: string }>(['admin-tokens', 'create', '--role', 'auditor']);
    await json(['audit', 'verify'], made.token);
    const revoked = await json<{ id: string; status: string }>(['admin-tokens', 'revoke', made.id]);
    expect(revoked).toEqual(expect.objectContaining({ id: made.id, status: 'revoked' }));
    const { code, stderr } = await runCli(['audit', 'verify', ...common], { PORTCULLIS_ADMIN_TOKEN: made.token });
    expect(code).not.toBe(0);
    expect(stderr).toContain('refused the admin token from PORTCULLIS_ADMIN_TOKEN');
  });
});
