import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { devCaFile } from '../lib/data-dir.js';
import { parseSeverity } from '../lib/findings.js';
import { createAdminClient } from './admin-client.js';
import { CliError } from './cli-error.js';
import { reportFindings } from './findings-output.js';

interface CheckOptions {
  config: string;
  url?: string;
  adminUrl?: string;
  ca?: string;
  json?: boolean;
  sarif?: boolean;
  output?: string;
  failOn: string;
}

export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description('the production checklist as code: TLS, certificate, HSTS, admin exposure, token file, master key, rate limits, key ages, audit chain, stores')
    .option('-c, --config <file>', 'the configuration to check', './portcullis.yaml')
    .option('--url <url>', 'the running gateway (default: https://<listen.host>:<listen.port> from the config)')
    .option('--admin-url <url>', 'the admin API (default: from the config)')
    .option('--ca <file>', 'CA certificate the clients trust (default: dataDir/tls/ca.pem when present, else the system store)')
    .option('--json', 'print exactly one JSON document on stdout')
    .option('--sarif', 'print SARIF 2.1.0')
    .option('-o, --output <file>', 'write the report to this file instead of stdout')
    .option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity (low, medium, high, critical)', 'high')
    .action(async (o: CheckOptions) => {
      const failOn = parseSeverity(o.failOn, '--fail-on');
      const configPath = resolve(o.config);
      if (!existsSync(configPath)) throw new CliError(`${configPath} not found: pass --config FILE (the configuration the gateway runs with)`, 'usage');
      const config = loadConfig(configPath);
      const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
      const url = (o.url ?? `https://${host}:${config.listen.port}`).replace(/\/+$/, '');
      const caFile = o.ca ?? (existsSync(devCaFile(config.dataDir)) ? devCaFile(config.dataDir) : undefined);
      const ca = caFile ? readFileSync(caFile) : undefined;
      // The checks and undici load when the command runs, not with every CLI command.
      const [{ Agent }, { runChecks }] = await Promise.all([import('undici'), import('../check/run-check.js')]);
      const agent = new Agent({ connect: ca ? { ca } : {} });
      let adminGet: ((path: string) => Promise<unknown>) | undefined;
      try {
        const call = createAdminClient({ config: configPath, ...(o.adminUrl ? { adminUrl: o.adminUrl } : {}), ...(caFile ? { ca: caFile } : {}) });
        adminGet = (path) => call('GET', path);
      } catch (error) {
        process.stderr.write(`portcullis: key and audit checks skipped: ${(error as Error).message}\n`);
      }
      try {
        const findings = await runChecks({ config, configPath, url, env: process.env, agent, ...(ca ? { ca } : {}), ...(adminGet ? { adminGet } : {}) });
        const code = reportFindings(findings, { ...o, failOn }, { url, config: configPath }, 'all checks passed');
        if (code !== 0) throw new CliError('', 'findings');
      } finally {
        await agent.close();
      }
    });
}
