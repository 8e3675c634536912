import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startRecordingUpstream } from '../helpers/upstream.js';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';

let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
let t: TestGateway;
let common: string[];

/** Runs `portcullis <args> --json` and parses the one JSON document it must print. */
async function json<T>(...args: string[]): Promise<T> {
  const { code, stdout, stderr } = await runCli([...args, ...common, '--json']);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as T;
}

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  t = await startTestGateway({
    services: [{ name: 'companies', upstream: upstream.url, routes: [{ match: 'GET /companies/*', scopes: ['companies:read'] }] }],
  });
  // The CLI finds dataDir (token file, dev CA) through the config file, and the admin URL by flag.
  const config = join(t.dataDir, 'portcullis.yaml');
  writeFileSync(config, `dataDir: ${t.dataDir}\n`);
  common = ['--config', config, '--admin-url', t.gateway.adminUrl];
});
afterAll(async () => {
  await t.stop();
  await upstream.close();
});

describe('portcullis consumers and keys', () => {
  it('creates a consumer and a key that works at once through the gateway', async () => {
    const consumer = await json<{ id: string; name: string; status: string }>('consumers', 'create', '--name', 'acme');
    expect(consumer).toMatchObject({ name: 'acme', status: 'active' });
    expect(consumer.id).toMatch(/^con_/);
    const key = await json<{ id: string; key: string; scopes: string[]; allowedIps: string[] }>(
      'keys', 'create', '--consumer', consumer.id, '--scope', 'companies:read', '--scope', 'companies:write', '--allow-ip', '127.0.0.1/32', '--expires-in', '30d',
    );
    expect(key.key).toMatch(new RegExp(`^pck_${key.id}_[0-9A-Za-z]{38}$`));
    expect(key.scopes).toEqual(['companies:read', 'companies:write']);
    expect(key.allowedIps).toEqual(['127.0.0.1/32']);
    expect((await t.call('/companies/1', { headers: { authorization: `Bearer ${key.key}` } })).status).toBe(200);

    const listed = await json<{ id: string; key?: string; status: string }[]>('keys', 'list', '--consumer', consumer.id);
    expect(listed).toEqual([expect.objectContaining({ id: key.id, status: 'active' })]);
    expect(listed[0]?.key).toBeUndefined(); // shown once, at creation only
    expect(await json<{ name: string }[]>('consumers', 'list')).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'acme' })]));
  });

  it('rotates with a grace period and revokes', async () => {
    const consumer = await json<{ id: string }>('consumers', 'create', '--name', 'globex');
    const old = await json<{ id: string; key: string }>('keys', 'create', '--consumer', consumer.id, '--scope', 'companies:read');
    const rotated = await json<{ id: string; key: string; replaces: string; graceEndsAt: string }>('keys', 'rotate', old.id, '--grace', '1h');
    expect(rotated.replaces).toBe(old.id);
    expect(rotated.id).not.toBe(old.id);
    expect(Date.parse(rotated.graceEndsAt) - Date.now()).toBeGreaterThan(59 * 60_000);
    for (const k of [old.key, rotated.key]) expect((await t.call('/companies/1', { headers: { 'x-api-key': k } })).status).toBe(200);
    const listed = await json<{ id: string; status: string }[]>('keys', 'list', '--consumer', consumer.id);
    expect(listed.find((k) => k.id === old.id)?.status).toBe('rotating');

    expect((await json<{ status: string }>('keys', 'revoke', rotated.id)).status).toBe('revoked');
    expect((await t.call('/companies/1', { headers: { 'x-api-key': rotated.key } })).status).toBe(401);
  });

  it('disables a consumer, and its keys stop at once', async () => {
    const consumer = await json<{ id: string }>('consumers', 'create', '--name', 'initech');
    const key = await json<{ key: string }>('keys', 'create', '--consumer', consumer.id, '--scope', 'companies:read');
    expect((await json<{ status: string }>('consumers', 'disable', consumer.id)).status).toBe('disabled');
    expect((await t.call('/companies/1', { headers: { authorization: `Bearer ${key.key}` } })).status).toBe(401);
  });

  it('reports errors on stderr with a non-zero exit and nothing on stdout', async () => {
    const missing = await runCli(['keys', 'revoke', 'nosuchkey', ...common, '--json']);
    expect(missing.code).not.toBe(0);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('no key with id nosuchkey');

    const invalid = await runCli(['keys', 'create', '--consumer', 'con_x', '--allow-ip', '300.1.1.1', ...common, '--json']);
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toContain('allowedIps[0]');

    const badToken = await runCli(['consumers', 'list', ...common, '--json'], { PORTCULLIS_ADMIN_TOKEN: 'pca_nope' });
    expect(badToken.code).not.toBe(0);
    expect(badToken.stderr).toContain('Unauthorized');

    const unreachable = await runCli(['consumers', 'list', '--config', common[1] as string, '--admin-url', 'https://127.0.0.1:1', '--json']);
    expect(unreachable.code).not.toBe(0);
    expect(unreachable.stderr).toContain('cannot reach the admin API');
  });

  it('prints the key once in human form, with a warning to store it', async () => {
    const consumer = await json<{ id: string }>('consumers', 'create', '--name', 'umbrella');
    const { code, stdout } = await runCli(['keys', 'create', '--consumer', consumer.id, ...common]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^pck_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}\n/);
    expect(stdout).toContain('shown once');
  });
});

describe('portcullis signing-secrets and public-keys', () => {
  it('creates an hmac-sha256 signing secret, shown once', async () => {
    const consumer = await json<{ id: string }>('consumers', 'create', '--name', 'signer-co');
    const created = await json<{ keyId: string; algorithm: string; secret: string; consumerId: string }>('signing-secrets', 'create', '--consumer', consumer.id);
    expect(created).toMatchObject({ algorithm: 'hmac-sha256', consumerId: consumer.id });
    expect(created.keyId).toMatch(/^psk_[0-9A-Za-z]{16}$/);
    expect(Buffer.from(created.secret, 'base64url')).toHaveLength(32);
    const human = await runCli(['signing-secrets', 'create', '--consumer', consumer.id, ...common]);
    expect(human.stdout).toContain('shown once');
  });

  it('registers an Ed25519 public JWK from a file, and names the flag when the file is wrong', async () => {
    const consumer = await json<{ id: string }>('consumers', 'create', '--name', 'ed-co');
    const file = join(t.dataDir, 'ed.jwk');
    writeFileSync(file, JSON.stringify(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' })));
    const added = await json<{ keyId: string; algorithm: string }>('public-keys', 'add', '--consumer', consumer.id, '--jwk', file);
    expect(added.algorithm).toBe('ed25519');
    const missing = await runCli(['public-keys', 'add', '--consumer', consumer.id, '--jwk', join(t.dataDir, 'nope.jwk'), ...common, '--json']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('--jwk');
    expect(missing.stdout).toBe('');
  });
});
