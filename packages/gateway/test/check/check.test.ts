import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import Ajv from 'ajv-draft-04';
import { CHECK_RULES } from '../../src/check/rules.js';
import { CHECKLIST } from '../../src/check/run-check.js';
import { main } from '../../src/cli/main.js';
import { ensureDevCertificates } from '../../src/server/dev-ca.js';
import { DAY, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway } from '../helpers/gateway.js';

type Report = { findings: { ruleId: string; severity: string; message: string; fix: string }[] };

async function check(args: string[], out: string): Promise<{ code: number; report: Report; stderr: string }> {
  let stderr = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const code = await main(['node', 'portcullis', 'check', ...args, '--json', '--output', out]);
    return { code, report: JSON.parse(readFileSync(out, 'utf8')) as Report, stderr };
  } finally {
    spy.mockRestore();
  }
}

const ids = (r: Report) => r.findings.map((f) => f.ruleId).sort();

describe('portcullis check on a good setup', () => {
  let t: CredentialGateway;
  let config: string;
  let args: string[];

  beforeAll(async () => {
    t = await startCredentialGateway((url) => ({
      services: [{ name: 'public-docs', upstream: url, routes: [{ match: 'GET /docs/**', public: true }] }],
    }));
    config = join(t.dataDir, 'portcullis.yaml');
    writeFileSync(config, `dataDir: ${t.dataDir}\nservices:\n  - name: public-docs\n    upstream: ${t.upstream.url}\n    routes:\n      - { match: "GET /docs/**", public: true }\n`);
    args = ['--config', config, '--url', t.gateway.url, '--admin-url', t.gateway.adminUrl];
  });
  afterAll(() => t.stop());

  it('passes: TLS 1.2+, strong suites, a trusted certificate, HSTS, private admin, 0600 token, intact audit', async () => {
    await t.createKey({ consumerId: await t.createConsumer(), scopes: [] });
    const { code, report } = await check(args, join(t.dataDir, 'good.json'));
    expect(report.findings).toEqual([]);
    expect(code).toBe(0);
  });

  it('flags keys past their rotation age and a tampered audit log (critical: exit 1)', async () => {
    t.clock.advance(31 * DAY);
    const aged = await check(args, join(t.dataDir, 'aged.json'));
    expect(ids(aged.report)).toEqual(['check/key-rotation-due']);
    expect(aged.code).toBe(0); // medium, under --fail-on high
    expect((await check([...args, '--fail-on', 'medium'], join(t.dataDir, 'aged2.json'))).code).toBe(1);

    await t.gateway.db.query(`UPDATE audit_events SET actor = 'mallory' WHERE seq = (SELECT min(seq) FROM audit_events)`);
    const tampered = await check(args, join(t.dataDir, 'tampered.json'));
    expect(ids(tampered.report)).toEqual(['check/audit-chain-broken', 'check/key-rotation-due']);
    expect(tampered.code).toBe(1);
  });

  it('writes SARIF that validates against the 2.1.0 schema', async () => {
    const out = join(t.dataDir, 'check.sarif');
    await main(['node', 'portcullis', 'check', ...args, '--sarif', '--output', out]);
    const schema = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../fixtures/sarif/sarif-schema-2.1.0.json'), 'utf8')) as object;
    const validate = new Ajv.default({ strict: false, logger: false }).compile(schema);
    const sarif = JSON.parse(readFileSync(out, 'utf8')) as { runs: { results: unknown[] }[] };
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    expect(sarif.runs[0]?.results.length).toBeGreaterThan(0);
  });
});

describe('portcullis check on purpose-built bad setups', () => {
  let dir: string;
  let server: ReturnType<typeof createServer>;
  let serverUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-check-'));
    // A server as a careless proxy would be: TLS 1.0 and weak suites on, a certificate about to expire,
    // no HSTS. (The leaf is made 390 days in the past; leaves live 397 days.)
    const tls = await ensureDevCertificates({ dir: join(dir, 'tls'), hostnames: ['127.0.0.1'], now: new Date(Date.now() - 390 * DAY) });
    server = createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1', ciphers: 'ALL:@SECLEVEL=0' }, (_req, res) => res.end('ok'));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    serverUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('flags old TLS versions, weak suites, a certificate about to expire and missing HSTS', async () => {
    const config = join(dir, 'tls.yaml');
    writeFileSync(config, `dataDir: ${dir}\n`);
    const { code, report } = await check(['--config', config, '--url', serverUrl], join(dir, 'tls.json'));
    expect(ids(report)).toEqual(['check/hsts-missing', 'check/tls-certificate-expiry', 'check/tls-old-version', 'check/tls-old-version', 'check/tls-weak-cipher']);
    expect(report.findings.find((f) => f.ruleId === 'check/tls-certificate-expiry')).toMatchObject({ severity: 'high', message: expect.stringMatching(/expires in [0-9] day/) });
    expect(code).toBe(1);
  });

  it('flags an untrusted certificate', async () => {
    const config = join(dir, 'untrusted.yaml');
    writeFileSync(config, `dataDir: ${join(dir, 'elsewhere')}\n`);
    const { report } = await check(['--config', config, '--url', serverUrl], join(dir, 'untrusted.json'));
    expect(report.findings.find((f) => f.ruleId === 'check/tls-untrusted-certificate')).toMatchObject({ severity: 'critical' });
  });

  it('flags a public admin listener, a readable token file, a master key beside PostgreSQL data, unreachable stores, long key lives and routes without rate limits', async () => {
    const data = join(dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'admin.token'), 'not-a-real-token\n');
    chmodSync(join(data, 'admin.token'), 0o644);
    writeFileSync(join(data, 'master.key'), 'placeholder\n', { mode: 0o600 });
    const config = join(dir, 'bad.yaml');
    writeFileSync(
      config,
      [
        `dataDir: ${data}`,
        'admin: { host: 0.0.0.0, port: 8444 }',
        'database: { url: "postgres://portcullis@127.0.0.1:1/portcullis" }',
        'redis: { url: "redis://127.0.0.1:1" }',
        'keys: { maxAge: 180d, warnAge: 30d }',
        'services:',
        '  - name: companies',
        '    upstream: http://127.0.0.1:9000',
        '    routes:',
        '      - { match: "GET /companies/*", scopes: [companies:read] }',
        '',
      ].join('\n'),
    );
    const { code, report } = await check(['--config', config, '--url', serverUrl, '--admin-url', 'https://127.0.0.1:1'], join(dir, 'bad.json'));
    const found = ids(report);
    for (const id of ['check/admin-listener-public', 'check/admin-token-file-mode', 'check/master-key-beside-data', 'check/key-max-age-long', 'check/route-without-rate-limit']) {
      expect(found).toContain(id);
    }
    expect(report.findings.filter((f) => f.ruleId === 'check/store-unreachable').map((f) => f.message.split(' ')[0]).sort()).toEqual(['PostgreSQL', 'Redis']);
    for (const f of report.findings) expect(f.fix.length).toBeGreaterThan(10);
    expect(code).toBe(1);
  });

  it('flags a gateway and an admin API that do not answer, instead of passing what it could not check', async () => {
    const data = join(dir, 'down');
    mkdirSync(data);
    writeFileSync(join(data, 'admin.token'), 'not-a-real-token\n', { mode: 0o600 });
    const config = join(dir, 'down.yaml');
    writeFileSync(config, `dataDir: ${data}\n`);
    const { code, report } = await check(['--config', config, '--url', 'https://127.0.0.1:1', '--admin-url', 'https://127.0.0.1:1'], join(dir, 'down.json'));
    const unreachable = report.findings.filter((f) => f.ruleId === 'check/gateway-unreachable').map((f) => f.message);
    expect(unreachable).toEqual(expect.arrayContaining([expect.stringContaining('TLS handshake with https://127.0.0.1:1 failed'), expect.stringContaining('a check could not run')]));
    expect(code).toBe(1);
  });
});

describe('the checklist', () => {
  it('runs every rule from some item, and docs/operations.md lists each one', () => {
    const covered = new Set(CHECKLIST.flatMap((item) => item.rules.map((r) => r.id)));
    expect([...covered].sort()).toEqual(Object.values(CHECK_RULES).map((r) => r.id).sort());
    const docs = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../../../docs/operations.md'), 'utf8');
    for (const id of covered) expect(docs).toContain(`| \`${id}\` |`);
  });
});
