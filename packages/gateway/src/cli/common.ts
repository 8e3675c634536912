import type { Command } from 'commander';
import { createAdminClient } from './admin-client.js';
import type { AdminCall } from './admin-client.js';

/** The options every admin command takes. */
export interface Common {
  adminUrl?: string;
  config: string;
  ca?: string;
  dataDir?: string;
  json?: boolean;
}

export function withCommon(command: Command): Command {
  return command
    .option('--admin-url <url>', 'admin API base URL, https:// (default: admin.host/admin.port from the config file, or https://127.0.0.1:8444)')
    .option('-c, --config <file>', 'configuration file to read the admin address and dataDir from (only those keys are read)', './portcullis.yaml')
    .option('--data-dir <dir>', "the gateway's data directory, for the token file and dev CA (default: dataDir from the config file)")
    .option('--ca <file>', 'CA certificate to validate the admin listener with (default: dataDir/tls/ca.pem when present)')
    .option('--json', "print exactly one JSON document on stdout: the admin API's own response");
}

export function client(options: Common): AdminCall {
  return createAdminClient(options);
}

/** Prints the result: the admin API's document with --json, else a short human form. */
export function print(options: Common, value: unknown, human: () => string): void {
  process.stdout.write(options.json ? `${JSON.stringify(value)}\n` : `${human()}\n`);
}
