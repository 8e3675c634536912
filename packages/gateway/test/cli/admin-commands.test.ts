import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCredential } from '@portcullis/protocol';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startRecordingUpstream } from '../helpers/upstream.js';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';

// Every step spawns the real command (a new Node process each): allow for a loaded machine.
vi.setConfig({ testTimeout: 120_000 });

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

    const listed = (await json<{ keys: { id: string; key?: string; status: string }[] }>('keys', 'list', '--consumer', consumer.id)).keys;
    expect(listed).toEqual([expect.objectContaining({ id: key.id, status: 'active' })]);
    expect(listed[0]?.key).toBeUndefined(); // shown once, at creation only
    expect((await json<{ consumers: { name: string }[] }>('consumers', 'list')).consumers).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'acme' })]));
  });

  it('rotates with a grace period and revokes', async () => {
    const consumer = await json<{ id: string }>('consumers', 'create', '--name', 'globex');
    const old = await json<{ id: string; key: string }>('keys', 'create', '--consumer', consumer.id, '--scope', 'companies:read');
    const rotated = await json<{ id: string; key: string; replaces: string; graceEndsAt: string }>('keys', 'rotate', old.id, '--grace', '1h');
    expect(rotated.replaces).toBe(old.id);
    expect(rotated.id).not.toBe(old.id);
    expect(Date.parse(rotated.graceEndsAt) - Date.now()).toBeGreaterThan(59 * 60_000);
    for (const k of [old.key, rotated.key]) expect((await t.call('/companies/1', { headers: { 'x-api-key': k } })).status).toBe(200);
    const { keys: listed } = await json<{ keys: { id: string; status: string }[] }>('keys', 'list', '--consumer', consumer.id);
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
    expect(invalid.stderr).toContain("option '--allow-ip <cidrs>' argument '300.1.1.1' is invalid");
  });

  it('prints the key once in human form, with a warning to store it', async () => {
    const consumer = await json<{ id: string }>('consumers', 'create', '--name', 'umbrella');
    const { code, stdout } = await runCli(['keys', 'create', '--consumer', consumer.id, ...common]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^pck_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}\n/);
    expect(stdout).toContain('shown once');
  });
});

type KeyDoc = { id: string; key?: string; consumerId: string; status: string; scopes: string[]; expiresAt: string; allowedIps: string[]; allowedOrigins: string[] };

/** Runs a command that must fail; returns its stderr (stdout must stay empty). */
async function fails(...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await runCli([...args, ...common]);
  expect(code, stderr).not.toBe(0);
  expect(stdout).toBe('');
  return stderr;
}

describe('flags are checked by the command line, in flag words', () => {
  it('splits --scope on commas, and says so in the help', async () => {
    const consumer = await json<{ id: string }>('consumers', 'create', '--name', 'hooli');
    const key = await json<KeyDoc>('keys', 'create', '--consumer', consumer.id, '--scope', 'orders:read,orders:write', '--scope', 'companies:read');
    expect(key.scopes).toEqual(['companies:read', 'orders:read', 'orders:write']);
    expect((await runCli(['keys', 'create', '--help'])).stdout).toMatch(/separate\s+with\s+commas/);
  });

  it('names the flag, what is wrong and an example for a bad duration; accepts w, compound and (for --grace) zero', async () => {
    for (const [flag, value] of [['--grace', '1y'], ['--expires-in', '1y'], ['--grace', '-1s'], ['--expires-in', '0s']] as const) {
      const args = flag === '--grace' ? ['keys', 'rotate', 'anykey', flag, value] : ['keys', 'create', '--consumer', 'con_x', flag, value];
      const { code, stdout, stderr } = await runCli([...args, ...common]);
      expect(code).toBe(2); // input to fix, as docs/operations.md#exit-codes says
      expect(stdout).toBe('');
      expect(stderr).toContain(`option '${flag} <duration>' argument '${value}' is invalid`);
      expect(stderr).toMatch(/for example "(24h|30d)"/);
      expect(stderr).not.toMatch(/Bad request|request body/i);
    }
    const consumer = await json<{ id: string }>('consumers', 'create', '--name', 'pied-piper');
    const weekly = await json<KeyDoc>('keys', 'create', '--consumer', consumer.id, '--scope', 'companies:read', '--expires-in', '1w');
    const created = Date.now();
    expect(Math.abs(Date.parse(weekly.expiresAt) - created - 7 * 86_400_000)).toBeLessThan(60_000);
    const rotated = await json<{ graceEndsAt: string }>('keys', 'rotate', weekly.id, '--grace', '1h30m');
    expect(Math.abs(Date.parse(rotated.graceEndsAt) - Date.now() - 90 * 60_000)).toBeLessThan(60_000);
  });

  it('keys rotate --grace 0s cuts a leaked key over at once', async () => {
    const consumer = await json<{ id: string }>('consumers', 'create', '--name', 'leaky');
    const old = await json<KeyDoc>('keys', 'create', '--consumer', consumer.id, '--scope', 'companies:read');
    const next = await json<KeyDoc>('keys', 'rotate', old.id, '--grace', '0s');
    expect((await t.call('/companies/1', { headers: { 'x-api-key': old.key as string } })).status).toBe(401);
    expect((await t.call('/companies/1', { headers: { 'x-api-key': next.key as string } })).status).toBe(200);
  });

  it('refuses --expires-in beyond keys.maxAge, naming the limit, instead of quietly capping it; shows the expiry', async () => {
    const consumer = await json<{ id: string }>('consumers', 'create', '--name', 'vandelay');
    const stderr = await fails('keys', 'create', '--consumer', consumer.id, '--expires-in', '100d');
    expect(stderr).toContain('--expires-in: 100d is longer than');
    expect(stderr).toContain('keys.maxAge = 90d');
    expect((await json<{ keys: unknown[] }>('keys', 'list', '--consumer', consumer.id)).keys).toEqual([]);

    const { stdout } = await runCli(['keys', 'create', '--consumer', consumer.id, '--expires-in', '1h30m', ...common]);
    const id = /Key id (\w+)/.exec(stdout)?.[1] as string;
    const shown = await json<KeyDoc>('keys', 'show', id);
    expect(stdout).toContain(`expires ${shown.expiresAt.slice(0, 16).replace('T', ' ')}Z`);
  });
});

describe('consumers get and enable, keys show, keys list', () => {
  it('shows a key of a disabled consumer as disabled, and enabling the consumer lets its keys work again', async () => {
    const consumer = await json<{ id: string; name: string }>('consumers', 'create', '--name', 'soylent');
    const key = await json<KeyDoc>('keys', 'create', '--consumer', consumer.id, '--scope', 'companies:read');
    await json('consumers', 'disable', consumer.id);
    expect((await json<{ status: string }>('consumers', 'get', consumer.id)).status).toBe('disabled');
    expect((await json<{ keys: KeyDoc[] }>('keys', 'list', '--consumer', consumer.id)).keys[0]?.status).toBe('disabled');
    const human = await runCli(['keys', 'list', '--consumer', consumer.id, ...common]);
    expect(human.stdout).toMatch(new RegExp(`${key.id}\\s+${consumer.id}\\s+disabled`));
    expect((await t.call('/companies/1', { headers: { 'x-api-key': key.key as string } })).status).toBe(401);

    expect((await json<{ status: string }>('consumers', 'enable', consumer.id)).status).toBe('active');
    expect((await json<KeyDoc>('keys', 'show', key.id)).status).toBe('active');
    expect((await t.call('/companies/1', { headers: { 'x-api-key': key.key as string } })).status).toBe(200);
  });

  it('prints one shape per resource: list elements, get, show and the admin API agree', async () => {
    const consumer = await json<{ id: string }>('consumers', 'create', '--name', 'tyrell');
    const key = await json<KeyDoc>('keys', 'create', '--consumer', consumer.id, '--scope', 'companies:read', '--allow-ip', '127.0.0.1');
    const token = readFileSync(join(t.dataDir, 'admin.token'), 'utf8').trim();
    const api = await t.admin(`/admin/v1/keys/${key.id}`, { headers: { authorization: `Bearer ${token}` } });
    const shown = await json<KeyDoc>('keys', 'show', key.id);
    expect(shown).toEqual(api.json());
    expect((await json<{ keys: KeyDoc[] }>('keys', 'list', '--consumer', consumer.id)).keys).toEqual([shown]);
    const { key: _secret, ...created } = key;
    expect(Object.keys(created).sort()).toEqual(Object.keys(shown).sort());
    const got = await json<{ id: string }>('consumers', 'get', consumer.id);
    expect((await json<{ consumers: { id: string }[] }>('consumers', 'list')).consumers.find((c) => c.id === consumer.id)).toEqual(got);
  });

  it('shows allow-lists in keys list', async () => {
    const consumer = await json<{ id: string }>('consumers', 'create', '--name', 'wayne');
    const key = await json<KeyDoc>('keys', 'create', '--consumer', consumer.id, '--allow-ip', '10.0.0.0/8,192.0.2.7', '--allow-origin', 'app.example.com');
    const { stdout } = await runCli(['keys', 'list', '--consumer', consumer.id, ...common]);
    expect(stdout).toMatch(/ID\s+CONSUMER\s+STATUS\s+SCOPES\s+ALLOWED\s+EXPIRES\s+LAST USED/);
    expect(stdout).toContain(`${key.id}`);
    expect(stdout).toContain('10.0.0.0/8 192.0.2.7 origin app.example.com');
  });
});

describe('keys show and keys revoke with the key itself', () => {
  it('finds the key by its hash, revokes it, and never prints the secret, not even in an error', async () => {
    const consumer = await json<{ id: string }>('consumers', 'create', '--name', 'oscorp');
    const key = await json<KeyDoc>('keys', 'create', '--consumer', consumer.id, '--scope', 'companies:read');
    const secret = key.key as string;
    const shown = await runCli(['keys', 'show', secret, ...common]);
    expect(shown.stdout).toContain(key.id);
    expect(shown.stdout + shown.stderr).not.toContain(secret);

    const revoked = await runCli(['keys', 'revoke', secret, ...common, '--json']);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id: key.id, status: 'revoked' });
    expect(revoked.stdout + revoked.stderr).not.toContain(secret);
    expect((await t.call('/companies/1', { headers: { 'x-api-key': secret } })).status).toBe(401);

    const unknown = generateCredential('apiKey').value;
    const stderr = await fails('keys', 'revoke', unknown);
    expect(stderr).toContain('No key matches the key given');
    expect(stderr).not.toContain(unknown);
    const mangled = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    const bad = await fails('keys', 'show', mangled);
    expect(bad).toContain('is not valid');
    expect(bad).not.toContain(mangled.slice(17));
    expect(t.logs.text()).not.toContain(secret.slice(17));
  });
});

describe('audit list', () => {
  it('lists the latest records, oldest first, with filters, as JSON or a table', async () => {
    const consumer = await json<{ id: string }>('consumers', 'create', '--name', 'initrode');
    const key = await json<KeyDoc>('keys', 'create', '--consumer', consumer.id, '--scope', 'companies:read');
    await json('keys', 'revoke', key.id);
    type Events = { events: { seq: string; action: string; target: string | null; actor: string }[] };
    const about = await json<Events>('audit', 'list', '--target', key.id);
    expect(about.events.map((e) => e.action)).toEqual(['key.create', 'key.revoke']);
    expect((await json<Events>('audit', 'list', '--action', 'key.revoke', '--target', key.id)).events).toHaveLength(1);
    const prefix = await json<Events>('audit', 'list', '--action', 'consumer.', '--since', '1h');
    expect(prefix.events.every((e) => e.action.startsWith('consumer.'))).toBe(true);
    expect(prefix.events.map((e) => e.target)).toContain(consumer.id);
    // Filtered to key actions: the gateway's own once-a-minute `auth.failures` summary of earlier tests'
    // refused requests can land at any moment when this file runs past a minute.
    const latest = await json<Events>('audit', 'list', '--action', 'key.', '--limit', '2');
    expect(latest.events.map((e) => e.action)).toEqual(['key.create', 'key.revoke']);
    expect(Number(latest.events[0]?.seq)).toBeLessThan(Number(latest.events[1]?.seq));
    const table = await runCli(['audit', 'list', '--target', key.id, ...common]);
    expect(table.stdout).toMatch(/SEQ\s+AT\s+ACTOR\s+ACTION\s+TARGET/);
    expect(table.stdout).toContain('key.revoke');
    expect(await fails('audit', 'list', '--since', 'yesterday')).toContain("option '--since <duration>' argument 'yesterday' is invalid");
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
