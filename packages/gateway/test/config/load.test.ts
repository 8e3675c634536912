import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { runCli } from '../helpers/cli.js';

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
    expect(config.keys).toEqual({ maxAge: 90 * 86_400_000, warnAge: 30 * 86_400_000, cacheFor: 60_000 });
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
    expect(message).toContain('services[0].timeout: "soon" is not a duration: expected for example "30s"');
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
    expect(config.redis).toEqual({ url: 'redis://:pw@r:6379', keyPrefix: 'portcullis:', instances: 3, commandTimeout: 1_000 });
  });

  it('refuses a :name route segment (it would match only the literal text), with the "*" form as the fix', () => {
    const message = problemsOf(write(SERVICE.replace('GET /companies/*', 'GET /companies/:id/officers')));
    expect(message).toContain('services[0].routes[0].match: path segment ":id" looks like a named parameter');
    expect(message).toContain('"GET /companies/*/officers"');
    expect(problemsOf(write(SERVICE.replace('GET /companies/*', 'GET /companies/{id}')))).toContain('as in "GET /companies/*"');
  });

  it('rewrites the schema library\'s generic messages: a missing key, a wrong type, a wrong choice', () => {
    const missing = problemsOf(write(SERVICE.replace('    upstream: http://127.0.0.1:9000\n', '')));
    expect(missing).toContain('services[0].upstream: this key is required but missing; for example:');
    expect(missing).toContain('upstream: http://127.0.0.1:9000');
    expect(missing).not.toMatch(/Invalid input|received undefined/);
    const wrongType = problemsOf(write(`log: { access: "yes" }\n${SERVICE}`));
    expect(wrongType).toContain('log.access: expected true or false, got text');
    const choice = problemsOf(write(`log: { level: loud }\n${SERVICE}`));
    expect(choice).toContain('log.level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent"');
    expect(choice).not.toContain('Invalid option');
  });

  it('suggests the known key closest to a misspelt one', () => {
    expect(problemsOf(write(SERVICE.replace('upstream:', 'upstrem:')))).toContain('unknown key "upstrem" (did you mean `upstream`?)');
    expect(problemsOf(write(`dataDri: ./x\n${SERVICE}`))).toContain('(top level): unknown key "dataDri" (did you mean `dataDir`?)');
    expect(problemsOf(write(`colour: blue\n${SERVICE}`))).not.toContain('did you mean');
  });

  it('warns about settings that are valid but most likely not what was meant', () => {
    expect(loadConfig(write('services: []\n'), {}).warnings).toEqual([expect.stringContaining('services: none are configured')]);
    const withPath = loadConfig(write(SERVICE.replace('http://127.0.0.1:9000', 'http://127.0.0.1:9000/v1')), {});
    expect(withPath.warnings).toEqual([expect.stringContaining('services[0].upstream: the path "/v1" is ignored')]);
    const duplicate = loadConfig(write(`${SERVICE}      - { match: "GET /companies/*", scopes: [companies:admin] }\n`), {});
    expect(duplicate.warnings).toEqual([expect.stringContaining('services[0].routes[1].match: "GET /companies/*" is already matched by services[0].routes[0]')]);
    const overlapping = loadConfig(write(`${SERVICE}      - { match: "GET|POST /companies/*" }\n`), {});
    expect(overlapping.warnings).toEqual([]); // POST is new: the route still applies to something
    expect(loadConfig(write(SERVICE), {}).warnings).toEqual([]);
  });

  it('takes compound durations and weeks, and refuses zero where a positive time is meant', () => {
    expect(loadConfig(write(`keys: { maxAge: 2w, warnAge: 1d12h }\n${SERVICE}`), {}).keys).toEqual({ maxAge: 14 * 86_400_000, warnAge: 36 * 3_600_000, cacheFor: 60_000 });
    expect(problemsOf(write(`drainTimeout: 0s\n${SERVICE}`))).toContain('drainTimeout: the duration must be longer than zero');
    expect(problemsOf(write(`drainTimeout: -5s\n${SERVICE}`))).toContain('drainTimeout: a duration cannot be negative');
  });

  it('reaches the user of `portcullis start` as printed here: on stderr, exit 2, nothing created', async () => {
    const file = write(`dataDir: ./never-created\n${SERVICE.replace('upstream:', 'upstrem:').replace('GET /companies/*', 'GET /companies/:id')}`);
    const { code, stdout, stderr } = await runCli(['start', '--config', file]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('unknown key "upstrem" (did you mean `upstream`?)');
    expect(stderr).toContain('path segment ":id" looks like a named parameter');
    expect(stderr).toContain('as in "GET /companies/*"');
  }, 60_000);
});
