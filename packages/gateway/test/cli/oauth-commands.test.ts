import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';

let t: TestGateway;
let common: string[];

async function json<T>(...args: string[]): Promise<T> {
  const { code, stdout, stderr } = await runCli([...args, ...common, '--json']);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as T;
}

type Client = { client_id: string; client_secret?: string; status: string; scopes: string[]; tokenEndpointAuthMethod: string; jwk?: Record<string, string> };

beforeAll(async () => {
  t = await startTestGateway();
  const config = join(t.dataDir, 'portcullis.yaml');
  writeFileSync(config, `dataDir: ${t.dataDir}\n`);
  common = ['--config', config, '--admin-url', t.gateway.adminUrl];
});
afterAll(async () => {
  await t.stop();
});

// Each CLI run is a fresh Node process: allow for a loaded machine.
describe('portcullis clients', { timeout: 90_000 }, () => {
  it('creates a client whose pcs_ secret is shown once and stored only as a hash', async () => {
    const consumer = await json<{ id: string }>('consumers', 'create', '--name', 'oauth-co');
    const created = await json<Client>('clients', 'create', '--consumer', consumer.id, '--scope', 'b:read', '--scope', 'a:read');
    expect(created.client_id).toMatch(/^cli_[0-9A-Za-z]{12}$/);
    expect(created.client_secret).toMatch(/^pcs_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/);
    expect(created).toMatchObject({ status: 'active', scopes: ['a:read', 'b:read'], tokenEndpointAuthMethod: 'client_secret_basic' });

    const listed = await json<Client[]>('clients', 'list', '--consumer', consumer.id);
    expect(listed).toEqual([expect.objectContaining({ client_id: created.client_id })]);
    expect(listed[0]?.client_secret).toBeUndefined();

    const rows = await t.gateway.db.query('SELECT * FROM oauth_clients WHERE id = $1', [created.client_id]);
    expect(JSON.stringify(rows)).not.toContain((created.client_secret as string).slice(4));
    expect((rows[0]?.secret_hash as Buffer).length).toBe(32);

    const rotated = await json<Client & { previousSecretValidUntil: string }>('clients', 'rotate-secret', created.client_id, '--grace', '1h');
    expect(rotated.client_secret).toMatch(/^pcs_/);
    expect(rotated.client_secret).not.toBe(created.client_secret);
    expect(Date.parse(rotated.previousSecretValidUntil)).toBeGreaterThan(Date.now() + 59 * 60_000);

    expect(await json<Client>('clients', 'revoke', created.client_id)).toMatchObject({ status: 'revoked' });
    const again = await runCli(['clients', 'rotate-secret', created.client_id, ...common]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('revoked');
  });

  it('registers a public JWK for private_key_jwt and refuses a private one, naming --jwk or the field', async () => {
    const consumer = await json<{ id: string }>('consumers', 'create', '--name', 'jwt-co');
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const file = join(t.dataDir, 'client.jwk.json');
    writeFileSync(file, JSON.stringify({ ...(await exportJWK(publicKey)), alg: 'ES256' }));
    const created = await json<Client>('clients', 'create', '--consumer', consumer.id, '--jwk', file);
    expect(created.client_secret).toBeUndefined();
    expect(created.tokenEndpointAuthMethod).toBe('private_key_jwt');
    expect(created.jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });

    writeFileSync(file, JSON.stringify({ ...(await exportJWK(privateKey)), alg: 'ES256' }));
    const refused = await runCli(['clients', 'create', '--consumer', consumer.id, '--jwk', file, ...common]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('jwk: this is a private or symmetric key');
    writeFileSync(file, 'not json');
    const garbage = await runCli(['clients', 'create', '--consumer', consumer.id, '--jwk', file, ...common]);
    expect(garbage.stderr).toContain('--jwk:');
    writeFileSync(file, JSON.stringify({ kty: 'oct', k: 'c2VjcmV0', alg: 'HS256' }));
    expect((await runCli(['clients', 'create', '--consumer', consumer.id, '--jwk', file, ...common])).code).not.toBe(0);
  });

  it('rotates the signing key: the next one is listed as next, the current one keeps signing', async () => {
    const before = await json<{ kid: string; status: string }[]>('signing-keys', 'list');
    const rotated = await json<{ kid: string; signsFrom: string; keys: { kid: string; status: string }[] }>('signing-keys', 'rotate', '--lead', '1h');
    expect(Date.parse(rotated.signsFrom)).toBeGreaterThan(Date.now() + 59 * 60_000);
    expect(rotated.keys).toEqual([...before, { kid: rotated.kid, alg: 'ES256', signsFrom: rotated.signsFrom, status: 'next' }]);
    const bad = await runCli(['signing-keys', 'rotate', '--lead', 'soon', ...common]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('lead');
  });
});
