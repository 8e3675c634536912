import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvDraft04 from 'ajv-draft-04';
import { generateCredential } from '@portcullis/protocol';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { openOsvDirectory, osvApi } from '../../src/scan/osv.js';
import type { OsvRecord } from '../../src/scan/osv.js';
import { scanDependencies } from '../../src/scan/scan-deps.js';
import { scanSource } from '../../src/scan/scan-source.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const OSV_FIXTURE = join(HERE, '../fixtures/osv');
const SARIF_SCHEMA = join(HERE, '../fixtures/sarif/sarif-schema-2.1.0.json');
const REPO = join(HERE, '../../../..');

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const random = (n: number, alphabet = ALNUM) => Array.from(randomBytes(n), (b) => alphabet[b % alphabet.length]).join('');
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Secrets made now, in memory: no real-looking secret is committed in plain text. */
function plantedSecrets() {
  const head = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: 'planted', iat: 1 })}`;
  return {
    portcullis: generateCredential('apiKey').value,
    jwt: `${head}.${createHmac('sha256', randomBytes(32)).update(head).digest('base64url')}`,
    pem: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    aws: `AKIA${random(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`,
    gcp: `AIza${random(35)}`,
    github: `ghp_${random(36)}`,
    slack: `xoxb-${random(12, '0123456789')}-${random(24)}`,
  };
}

function write(root: string, path: string, text: string | Buffer): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

let root: string;
let secrets: ReturnType<typeof plantedSecrets>;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'portcullis-scan-'));
  secrets = plantedSecrets();
  // One planted pattern per file, so each finding is checked at its own file and line.
  write(root, 'src/config.ts', `// settings\nexport const key = '${secrets.portcullis}';\n`);
  write(root, 'src/jwt.js', `\n\nconst token = "${secrets.jwt}";\n`);
  write(root, 'deploy/key.pem', secrets.pem);
  write(root, 'infra/aws.py', `AWS_ACCESS_KEY_ID = "${secrets.aws}"\n`);
  write(root, 'web/maps.js', `const mapsKey = '${secrets.gcp}';\n`);
  write(root, 'ci/release.sh', `export GH_TOKEN=${secrets.github}\n`);
  write(root, 'bots/slack.go', `var slackToken = "${secrets.slack}"\n`);
  write(root, 'src/tls.ts', ['const agent = new https.Agent({', '  rejectUnauthorized: false,', '});'].join('\n'));
  write(root, 'scripts/env.sh', 'export NODE_TLS_REJECT_UNAUTHORIZED=0\n');
  write(root, 'py/client.py', 'import requests\nrequests.get(url, verify=False)\n');
  write(root, 'go/client.go', 'package main\nvar cfg = &tls.Config{InsecureSkipVerify: true}\n');
  write(root, 'src/api.ts', "const base = 'http://api.partner-corp.io/v1';\nconst local = 'http://127.0.0.1:9000';\nconst doc = 'http://api.example.com/v1';\n");
  write(root, 'src/query.ts', 'fetch(`https://api.partner-corp.io/v1/items?limit=5&api_key=${process.env.KEY}`);\n');
  write(root, 'src/log.ts', "app.use((req) => {\n  console.log('auth', req.headers.authorization);\n});\n");
  // What must not be reported: a look-alike key with a wrong checksum, ignored, vendored and binary files, a marked line.
  write(root, 'docs/format.md', `Keys look like pck_${'A'.repeat(12)}_${'b'.repeat(38)}\n`);
  write(root, '.gitignore', 'secrets.env\nbuild/\n');
  write(root, 'secrets.env', `KEY=${generateCredential('apiKey').value}\n`);
  write(root, 'build/out.js', `const k = '${generateCredential('apiKey').value}';\n`);
  write(root, 'node_modules/dep/index.js', `module.exports = '${generateCredential('apiKey').value}';\n`);
  write(root, 'assets/blob.bin', Buffer.concat([Buffer.from([0, 1, 2, 0]), Buffer.from(generateCredential('apiKey').value)]));
  write(root, 'test/vector.ts', `const vector = '${generateCredential('apiKey').value}'; // portcullis-scan: ignore\n`);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('portcullis scan: source patterns', () => {
  it('finds each planted pattern at its file and line, and nothing else', async () => {
    const { findings } = await scanSource(root);
    const found = findings.map((f) => `${f.rule.id} ${f.file}:${f.line}`).sort();
    expect(found).toEqual(
      [
        'hardcoded-credential/portcullis-key src/config.ts:2',
        'hardcoded-credential/jwt src/jwt.js:3',
        'hardcoded-credential/private-key deploy/key.pem:1',
        'hardcoded-credential/aws-access-key infra/aws.py:1',
        'hardcoded-credential/gcp-api-key web/maps.js:1',
        'hardcoded-credential/github-token ci/release.sh:1',
        'hardcoded-credential/slack-token bots/slack.go:1',
        'tls-validation-disabled src/tls.ts:2',
        'tls-validation-disabled scripts/env.sh:1',
        'tls-validation-disabled py/client.py:2',
        'tls-validation-disabled go/client.go:2',
        'plain-http-url src/api.ts:1',
        'credential-in-query src/query.ts:1',
        'authorization-logged src/log.ts:2',
      ].sort(),
    );
  });

  it('never repeats a secret in its findings', async () => {
    const { findings } = await scanSource(root);
    const text = JSON.stringify(findings);
    for (const value of [secrets.portcullis, secrets.jwt, secrets.aws, secrets.gcp, secrets.github, secrets.slack]) expect(text).not.toContain(value);
  });

  it('skips binaries, .gitignore-d paths and node_modules, and counts what it skipped', async () => {
    const scan = await scanSource(root);
    expect(scan.filesSkipped.binary).toBe(1);
    const files = new Set(scan.findings.map((f) => f.file));
    for (const path of ['secrets.env', 'build/out.js', 'node_modules/dep/index.js', 'assets/blob.bin', 'test/vector.ts', 'docs/format.md']) {
      expect(files.has(path)).toBe(false);
    }
  });

  it("finds nothing in the project's own source", async () => {
    for (const pkg of ['protocol', 'client', 'gateway']) {
      const { findings, filesScanned } = await scanSource(join(REPO, 'packages', pkg, 'src'));
      expect(filesScanned).toBeGreaterThan(0);
      expect(findings.map((f) => `${pkg}/src/${f.file}:${f.line} ${f.rule.id}`)).toEqual([]);
    }
  });
});

function lockTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-deps-'));
  write(dir, 'package-lock.json', JSON.stringify({
    name: 'app', lockfileVersion: 3,
    packages: { '': { name: 'app' }, 'node_modules/lodash': { version: '4.17.20' }, 'node_modules/other/node_modules/lodash': { version: '4.17.21' } },
  }, null, 2));
  write(dir, 'web/yarn.lock', '# yarn lockfile v1\n\n"lodash@^4.17.0":\n  version "4.17.15"\n  resolved "https://registry.yarnpkg.com/lodash/-/lodash-4.17.15.tgz"\n');
  write(dir, 'ui/pnpm-lock.yaml', "lockfileVersion: '9.0'\npackages:\n  lodash@4.17.21:\n    resolution: {integrity: sha512-x}\n  left-pad@1.3.0:\n    resolution: {integrity: sha512-y}\n");
  write(dir, 'py/requirements.txt', '# pinned\nflask==3.0.0\nRequests==2.19.1  # old\n');
  write(dir, 'svc/go.sum', 'golang.org/x/text v0.3.2 h1:abc=\ngolang.org/x/text v0.3.2/go.mod h1:def=\ngolang.org/x/net v0.20.0 h1:ghi=\n');
  return dir;
}

describe('portcullis scan --deps', () => {
  it('matches lockfile pins (npm, yarn, pnpm, pip, Go) against an offline OSV export', async () => {
    const dir = lockTree();
    try {
      const { findings, lockfiles } = await scanDependencies(dir, await openOsvDirectory(OSV_FIXTURE));
      expect(lockfiles.sort()).toEqual(['package-lock.json', 'py/requirements.txt', 'svc/go.sum', 'ui/pnpm-lock.yaml', 'web/yarn.lock']);
      expect(findings.map((f) => `${f.file}:${f.line} ${f.message.split(':')[0]} ${f.message.includes('GHSA-wwww') ? 'WITHDRAWN' : ''}`.trim()).sort()).toEqual(
        [
          'package-lock.json:8 lodash@4.17.20 (npm)',
          'py/requirements.txt:3 Requests@2.19.1 (PyPI)',
          'svc/go.sum:1 golang.org/x/text@v0.3.2 (Go)',
          'web/yarn.lock:3 lodash@4.17.15 (npm)',
        ].sort(),
      );
      expect(findings.find((f) => f.file === 'package-lock.json')?.message).toContain('GHSA-35jh-r3h4-6jhm');
      expect(findings.find((f) => f.file === 'package-lock.json')?.message).toContain('fixed in 4.17.21');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('asks the OSV API (querybatch, then each record) when no export is given', async () => {
    // A local stand-in for api.osv.dev serving the same fixture records.
    const records = ['npm/GHSA-35jh-r3h4-6jhm.json', 'PyPI/GHSA-x84v-xcm2-53pg.json'].map((p) => JSON.parse(readFileSync(join(OSV_FIXTURE, p), 'utf8')) as OsvRecord);
    const affected: Record<string, string> = { 'npm lodash 4.17.20': 'GHSA-35jh-r3h4-6jhm', 'PyPI Requests 2.19.1': 'GHSA-x84v-xcm2-53pg' };
    const seen: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url}`);
        res.setHeader('content-type', 'application/json');
        if (req.method === 'POST' && req.url === '/v1/querybatch') {
          const { queries } = JSON.parse(body) as { queries: { package: { name: string; ecosystem: string }; version: string }[] };
          const results = queries.map((q) => {
            const id = affected[`${q.package.ecosystem} ${q.package.name} ${q.version}`];
            return id ? { vulns: [{ id, modified: '2024-01-01T00:00:00Z' }] } : {};
          });
          return res.end(JSON.stringify({ results }));
        }
        const record = records.find((r) => req.url === `/v1/vulns/${r.id}`);
        res.statusCode = record ? 200 : 404;
        res.end(JSON.stringify(record ?? {}));
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const dir = lockTree();
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const { findings } = await scanDependencies(dir, osvApi(url));
      expect(findings.map((f) => f.message.split(':')[0]).sort()).toEqual(['Requests@2.19.1 (PyPI)', 'lodash@4.17.20 (npm)']);
      expect(seen.filter((s) => s.startsWith('GET')).sort()).toEqual(['GET /v1/vulns/GHSA-35jh-r3h4-6jhm', 'GET /v1/vulns/GHSA-x84v-xcm2-53pg']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      server.close();
    }
  });

  it('names the way out when the OSV API cannot be reached', async () => {
    const dir = lockTree();
    try {
      await expect(scanDependencies(dir, osvApi('http://127.0.0.1:1'))).rejects.toThrow(/not reachable.*--osv-db DIR/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('portcullis scan (command)', () => {
  async function run(...args: string[]): Promise<{ code: number; stderr: string }> {
    let stderr = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
    try {
      return { code: await main(['node', 'portcullis', 'scan', ...args]), stderr };
    } finally {
      spy.mockRestore();
    }
  }

  it('writes SARIF 2.1.0 that validates against the OASIS schema, with file and line', async () => {
    const out = join(root, '..', `scan-${process.pid}.sarif`);
    const { code } = await run(root, '--sarif', '--output', out);
    expect(code).toBe(1);
    const sarif = JSON.parse(readFileSync(out, 'utf8')) as { runs: { results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] };
    rmSync(out);
    // ajv-draft-04 is CommonJS: seen from ESM, its class is `module.exports.default`.
    const Ajv = AjvDraft04.default;
    const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
    const validate = ajv.compile(JSON.parse(readFileSync(SARIF_SCHEMA, 'utf8')) as object);
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    const results = sarif.runs[0]?.results ?? [];
    expect(results).toHaveLength(14);
    expect(results.find((r) => r.ruleId === 'authorization-logged')?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: 'src/log.ts', uriBaseId: '%SRCROOT%' },
      region: { startLine: 2, startColumn: 3 },
    });
  });

  it('prints one JSON document, and exits 0 below --fail-on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-scan-'));
    write(dir, 'a.ts', "const u = 'http://api.partner-corp.io';\n");
    const out = join(dir, 'report.json');
    try {
      expect((await run(dir, '--json', '--fail-on', 'high', '--output', out)).code).toBe(0);
      const report = JSON.parse(readFileSync(out, 'utf8')) as { findings: { ruleId: string; severity: string; file: string; line: number; fix: string }[] };
      expect(report.findings).toEqual([expect.objectContaining({ ruleId: 'plain-http-url', severity: 'medium', file: 'a.ts', line: 1 })]);
      expect((await run(dir, '--json', '--fail-on', 'medium', '--output', out)).code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad --fail-on and an --osv-db without --deps, naming the flag', async () => {
    const bad = await run(root, '--fail-on', 'severe');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--fail-on expects one of low, medium, high, critical');
    const lonely = await run(root, '--osv-db', OSV_FIXTURE);
    expect(lonely.code).toBe(2);
    expect(lonely.stderr).toContain('add --deps');
  });
});
