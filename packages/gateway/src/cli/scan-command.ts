import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseSeverity } from '../lib/findings.js';
import type { Finding } from '../lib/findings.js';
import { CliError } from './cli-error.js';
import { reportFindings } from './findings-output.js';

interface ScanOptions {
  deps?: boolean;
  source: boolean;
  osvDb?: string;
  osvUrl: string;
  json?: boolean;
  sarif?: boolean;
  output?: string;
  failOn: string;
}

export function registerScanCommand(program: Command): void {
  program
    .command('scan')
    .description('scan a source tree for hardcoded credentials, disabled TLS checks, plain-HTTP URLs, credentials in URLs and logged Authorization headers')
    .argument('[dir]', 'the tree to scan', '.')
    .option('--deps', 'also check lockfiles (npm, pnpm, yarn, pip requirements, go.sum) against OSV advisories')
    .option('--no-source', 'skip the source patterns (with --deps: dependencies only)')
    .option('--osv-db <dir>', 'an offline OSV export (a directory of OSV JSON records) instead of the OSV API')
    .option('--osv-url <url>', 'the OSV API base URL', 'https://api.osv.dev')
    .option('--json', 'print exactly one JSON document on stdout')
    .option('--sarif', 'print SARIF 2.1.0 (for code-scanning dashboards)')
    .option('-o, --output <file>', 'write the report to this file instead of stdout')
    .option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity (low, medium, high, critical)', 'low')
    .action(async (dir: string, o: ScanOptions) => {
      const failOn = parseSeverity(o.failOn, '--fail-on');
      if (o.osvDb && !o.deps) throw new CliError('--osv-db only applies with --deps: add --deps', 'usage');
      const root = resolve(dir);
      const findings: Finding[] = [];
      const summary: Record<string, unknown> = { root };
      // The scanners, and the ignore and semver packages they use, load only when `scan` runs (start-up time).
      if (o.source) {
        const { scanSource } = await import('../scan/scan-source.js');
        const source = await scanSource(root);
        findings.push(...source.findings);
        Object.assign(summary, { filesScanned: source.filesScanned, filesSkipped: source.filesSkipped });
      }
      if (o.deps) {
        const [{ openOsvDirectory, osvApi }, { scanDependencies }] = await Promise.all([import('../scan/osv.js'), import('../scan/scan-deps.js')]);
        let advisories;
        try {
          advisories = o.osvDb ? await openOsvDirectory(resolve(o.osvDb)) : osvApi(o.osvUrl);
          const deps = await scanDependencies(root, advisories);
          findings.push(...deps.findings);
          Object.assign(summary, { lockfiles: deps.lockfiles, packages: deps.packages, advisories: o.osvDb ? 'osv-db' : o.osvUrl });
        } catch (error) {
          throw new CliError((error as Error).message, 'scan_failed');
        }
      }
      const code = reportFindings(findings, { ...o, failOn }, summary, 'no findings');
      if (code !== 0) throw new CliError('', 'findings');
    });
}
