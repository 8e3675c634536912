import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auth, createClient, fromEnv, fromFile } from '../../src/index.js';
import type { SecretSource } from '../../src/index.js';

describe('credentials', () => {
  it('fromEnv: a missing or empty variable fails at construction, naming the variable and never a value', () => {
    expect(() => fromEnv('PAYMENTS_API_KEY', {})).toThrow(/PAYMENTS_API_KEY is missing or empty/);
    expect(() => fromEnv('PAYMENTS_API_KEY', { PAYMENTS_API_KEY: '  ' })).toThrow(TypeError);
    expect(fromEnv('PAYMENTS_API_KEY', { PAYMENTS_API_KEY: 'value-123' }).load()).toBe('value-123');
  });

  it('fromFile: Docker/Kubernetes secret files, read at construction, trailing newline dropped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-secret-'));
    writeFileSync(join(dir, 'key'), 'file-secret-456\n');
    writeFileSync(join(dir, 'empty'), '\n');
    expect(fromFile(join(dir, 'key')).load()).toBe('file-secret-456');
    expect(() => fromFile(join(dir, 'empty'))).toThrow(/is empty/);
    expect(() => fromFile(join(dir, 'missing'))).toThrow(/cannot be read \(ENOENT\)/);
  });

  it('a strategy given an unset secret (process.env.X undefined) fails at construction naming the option', () => {
    expect(() => auth.apiKey({ key: undefined as unknown as string })).toThrow(/auth\.apiKey: key is missing/);
    expect(() => auth.clientCredentials({ tokenUrl: 'https://a.example/token', clientId: 'x', clientSecret: '' })).toThrow(/clientSecret is empty/);
    expect(() => auth.clientCredentials({ tokenUrl: 'http://a.example/token', clientId: 'x', clientSecret: 's' })).toThrow(/must use https/);
  });

  it('a secret manager source that fails at run time gives an AuthError naming the source, not the value', async () => {
    const vault: SecretSource = { name: 'vault:kv/payments#key', load: async () => Promise.reject(new Error('sealed')) };
    const api = createClient({ baseUrl: 'https://93.184.216.34', allowedHosts: ['93.184.216.34'], auth: auth.apiKey({ key: vault }) });
    await expect(api.get('/x')).rejects.toMatchObject({ name: 'AuthError', code: 'secret_unavailable', message: expect.stringContaining('vault:kv/payments#key') });
    await api.close();
  });

  it('misuse of options is a TypeError at construction with the fix', () => {
    expect(() => createClient({ baseUrl: 'not a url', allowedHosts: ['a'] })).toThrow(/baseUrl must be an absolute https URL/);
    expect(() => createClient({ baseUrl: 'https://a.example', allowedHosts: ['a.example'], retry: { retries: -1 } })).toThrow(/retry\.retries/);
    expect(() => createClient({ baseUrl: 'https://a.example', allowedHosts: ['a.example'], timeout: 0 })).toThrow(/timeout/);
  });
});
