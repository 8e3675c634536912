import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseDuration } from '../config/duration.js';
import { createAdminClient } from './admin-client.js';
import type { IncidentResponse } from '../admin/api-types.js';
import { CliError } from './cli-error.js';

interface IncidentOptions {
  consumer: string;
  reissue?: boolean;
  since: string;
  out?: string;
  adminUrl?: string;
  config: string;
  ca?: string;
  json?: boolean;
}


export function registerIncidentCommand(program: Command): void {
  program
    .command('incident')
    .description("respond to a suspected compromise: revoke every key, OAuth client secret and token of a consumer at once (optionally reissue), and save its recent access records for review")
    .requiredOption('--consumer <id>', 'the consumer whose credentials are compromised')
    .option('--reissue', 'issue replacement keys and client secrets on the same terms (printed once)')
    .option('--since <duration>', 'how far back the review file goes', '24h')
    .option('--out <file>', 'where to write the access records (JSON lines; default incident-<consumer>-<time>.jsonl)')
    .option('--admin-url <url>', 'admin API base URL (default: from the config file, or https://127.0.0.1:8444)')
    .option('-c, --config <file>', 'configuration file to read the admin address and dataDir from', './portcullis.yaml')
    .option('--ca <file>', 'CA certificate to validate the admin listener with (default: dataDir/tls/ca.pem when present)')
    .option('--json', 'print exactly one JSON document on stdout')
    .action(async (o: IncidentOptions) => {
      if (parseDuration(o.since) === undefined) throw new CliError(`--since expects a duration such as 24h or 7d (got "${o.since}")`, 'usage');
      const call = createAdminClient(o);
      const answer = await call<IncidentResponse>('POST', `/consumers/${encodeURIComponent(o.consumer)}/incident`, { reissue: Boolean(o.reissue) });
      const query = new URLSearchParams({ consumer: o.consumer, since: o.since, format: 'jsonl' });
      const records = await call<string>('GET', `/access?${query}`, undefined, { raw: true });
      const out = resolve(o.out ?? `incident-${o.consumer}-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`);
      // Access records name clients and addresses: readable by this user only.
      writeFileSync(out, records, { mode: 0o600 });
      const count = records.split('\n').filter(Boolean).length;
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ ...answer, accessRecords: { file: out, count } })}\n`);
        return;
      }
      const lines = [
        `revoked ${answer.revoked.length} key(s) of ${answer.consumerId}: ${answer.revoked.join(' ') || '-'}`,
        `revoked ${answer.revokedClients.length} OAuth client(s), their secrets and tokens: ${answer.revokedClients.join(' ') || '-'}`,
      ];
      for (const k of answer.reissued) lines.push(`replacement for ${k.replaces}: ${k.key}`);
      for (const c of answer.reissuedClients) lines.push(`replacement client for ${c.replaces}: client_id ${c.client_id} client_secret ${c.client_secret}`);
      if (answer.reissued.length + answer.reissuedClients.length > 0) lines.push('These credentials are shown once: hand them to the consumer through a secure channel now.');
      lines.push(`${count} access record(s) since ${o.since} written to ${out}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
