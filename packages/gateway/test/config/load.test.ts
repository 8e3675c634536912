import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function write(text: string): string {
  const file = join(dir, `config-${n++}.yaml`);
  writeFileSync(file, text);
  return file;
}

const SERVICE = `services:
  - name: companies
    upstream: http://127.0.0.1:9000
    routes:
      - { match: "GET /companies/*", scopes: [companies:read] }
`;

function problemsOf(file: string): string {
  try {
    loadConfig(file, {});
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('invalid_config');
    return (error as ConfigError).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadConfig', () => {
  it('accepts the contract example and fills the documented defaults', () => {
    const config = loadConfig(write(`listen: { host: 127.0.0.1, port: 8443 }\n${SERVICE}`), {});
    expect(config.admin).toEqual({ host: '127.0.0.1', port: 8444 });
    expect(config.tls).toBe('auto');
    expect(config.dataDir).toBe(join(dir, '.portcullis'));
    expect(config.keys).toEqual({ maxAge: 90 * 86_400_000, warnAge: 30 * 86_400_000 });
    expect(config.services[0]?.routes[0]).toMatchObject({ scopes: ['companies:read'], signature: 'optional', public: false });
    expect(Object.isFrozen(config.services[0])).toBe(true);
  });

  it('refuses an unknown key, naming it and its place', () => {
    const message = problemsOf(write(`listen: { host: 127.0.0.1, prot: 8443 }\n${SERVICE}`));
    expect(message).toContain('listen: unknown key "prot"');
    expect(message).toContain('listen: { host: 127.0.0.1, port: 8443 }');
  });

  it('refuses a value of the wrong type, with the path and an example', () => {
    const message = problemsOf(write(`listen: { port: "eighty" }\n${SERVICE}`));
    expect(message).toMatch(/listen\.port: .*number/);
    expect(message).toContain('for example');
  });

  it('refuses a bad CIDR in trustedProxies', () => {
    const message = problemsOf(write(`trustedProxies: [10.0.0.0/33]\n${SERVICE}`));
    expect(message).toContain('trustedProxies[0]: expected an IP address or CIDR');
  });

  it('refuses a bad upstream URL', () => {
    const message = problemsOf(write(SERVICE.replace('http://127.0.0.1:9000', 'ftp://files.example')));
    expect(message).toContain('services[0].upstream: expected a URL such as "http://127.0.0.1:9000"');
  });

  it('refuses two services with the same name', () => {
    const message = problemsOf(write(SERVICE + SERVICE.replace('services:\n', '')));
    expect(message).toContain('services[1].name: duplicate service name "companies" (also services[0])');
  });

  it('refuses TLS files that do not exist', () => {
    const message = problemsOf(write(`tls: { cert: ./missing-cert.pem, key: ./missing-key.pem }\n${SERVICE}`));
    expect(message).toContain(`tls.cert: the file ${join(dir, 'missing-cert.pem')} does not exist`);
    expect(message).toContain(`tls.key: the file ${join(dir, 'missing-key.pem')} does not exist`);
  });

  it('refuses a configuration path that is a directory (unreadable as a file)', () => {
    expect(problemsOf(dir)).toContain('the file cannot be read (EISDIR)');
  });

  it('refuses a missing configuration file and says how to make one', () => {
    expect(problemsOf(join(dir, 'nope.yaml'))).toContain('run `portcullis init`');
  });

  it('refuses YAML syntax errors with the line and column', () => {
    const message = problemsOf(write(`listen: { host: 127.0.0.1, port: 8443\nservices: []\n`));
    expect(message).toMatch(/YAML syntax error at line \d+, column \d+/);
  });

  it('refuses a duplicated YAML key', () => {
    expect(problemsOf(write(`dataDir: a\ndataDir: b\n`))).toMatch(/YAML syntax error .*[Mm]ap keys must be unique/);
  });

  it('refuses a malformed route pattern and a bad duration', () => {
    const message = problemsOf(
      write(SERVICE.replace('GET /companies/*', 'GET companies').replace('routes:', 'timeout: soon\n    routes:')),
    );
    expect(message).toContain('services[0].routes[0].match: the path must start with "/"');
    expect(message).toContain('services[0].timeout: expected a duration such as "30s"');
  });

  it('refuses a password inside database.url, and takes PORTCULLIS_DATABASE_URL from the environment', () => {
    const message = problemsOf(write(`database: { url: "postgres://app:hunter2@db:5432/app" }\n${SERVICE}`));
    expect(message).toContain('database.url: a password does not belong in this file');
    expect(message).not.toContain('hunter2');
    const config = loadConfig(write(SERVICE), { PORTCULLIS_DATABASE_URL: 'postgres://app:pw@db:5432/app' });
    expect(config.database?.url).toBe('postgres://app:pw@db:5432/app');
  });

  it('refuses warnAge not shorter than maxAge', () => {
    expect(problemsOf(write(`keys: { maxAge: 30d, warnAge: 60d }\n${SERVICE}`))).toContain('keys.warnAge: warnAge must be shorter than maxAge');
  });

  it('accepts rate limits and required signatures, now that both are enforced', () => {
    const config = loadConfig(
      write(SERVICE.replace('routes:', 'rateLimit: { requests: 100, per: 1m }\n    routes:').replace('scopes: [companies:read] }', 'scopes: [companies:read], signature: required }')),
    );
    expect(config.services[0]?.rateLimit).toEqual({ requests: 100, per: 60_000 });
    expect(config.services[0]?.routes[0]?.signature).toBe('required');
  });

  it('refuses a route header limit above the global one, naming the key and the fix', () => {
    const message = problemsOf(write(SERVICE.replace('scopes: [companies:read] }', 'scopes: [companies:read], limits: { maxHeaderBytes: 65536 } }')));
    expect(message).toContain('services[0].routes[0].limits.maxHeaderBytes: a route can only lower the global limits.maxHeaderBytes (16384)');
  });

  it('keeps redis settings from the file when PORTCULLIS_REDIS_URL supplies the URL', () => {
    const config = loadConfig(write(`redis: { url: "redis://r:6379", instances: 3 }\n${SERVICE}`), { PORTCULLIS_REDIS_URL: 'redis://:pw@r:6379' });
    expect(config.redis).toEqual({ url: 'redis://:pw@r:6379', keyPrefix: 'portcullis:', instances: 3 });
  });
});
