import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createAdminClient } from './admin-client.js';
import { CliError } from './cli-error.js';

interface Common {
  adminUrl?: string;
  config: string;
  ca?: string;
  json?: boolean;
}

type Key = {
  id: string;
  key?: string;
  consumerId: string;
  scopes: string[];
  allowedIps: string[];
  allowedOrigins: string[];
  status: string;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  rotationDue: boolean;
  graceEndsAt?: string;
  replaces?: string;
};
type SigningKeyView = { keyId: string; consumerId: string; algorithm: string; createdAt: string };
type Consumer = { id: string; name: string; status: string; createdAt: string };

const collect = (value: string, previous: string[]) => [...previous, value];

function withCommon(command: Command): Command {
  return command
    .option('--admin-url <url>', 'admin API base URL (default: from the config file, or https://127.0.0.1:8444)')
    .option('-c, --config <file>', 'configuration file to read the admin address and dataDir from', './portcullis.yaml')
    .option('--ca <file>', 'CA certificate to validate the admin listener with (default: dataDir/tls/ca.pem when present)')
    .option('--json', 'print exactly one JSON document on stdout');
}

/** Prints the result: one JSON document with --json, else a short human summary. */
function print(options: Common, value: unknown, human: () => string): void {
  process.stdout.write(options.json ? `${JSON.stringify(value)}\n` : `${human()}\n`);
}

function keyLine(k: Key): string {
  const flags = [k.status, k.rotationDue && k.status === 'active' ? 'ROTATION DUE' : ''].filter(Boolean).join(', ');
  return `${k.id}  ${k.consumerId}  [${flags}]  scopes: ${k.scopes.join(' ') || '-'}  expires ${k.expiresAt}  last used ${k.lastUsedAt ?? 'never'}`;
}

function shownOnce(k: Key): string {
  return `${k.key}\n\nThis key is shown once: store it in a secret manager now. Key id: ${k.id}`;
}

export function registerAdminCommands(program: Command): void {
  const consumers = program.command('consumers').description('manage the applications that call your API');
  withCommon(consumers.command('create').description('create a consumer').requiredOption('--name <name>', 'a unique name')).action(
    async (o: Common & { name: string }) => {
      const c = await createAdminClient(o)<Consumer>('POST', '/consumers', { name: o.name });
      print(o, c, () => `created consumer ${c.id} (${c.name})`);
    },
  );
  withCommon(consumers.command('list').description('list consumers')).action(async (o: Common) => {
    const { consumers: list } = await createAdminClient(o)<{ consumers: Consumer[] }>('GET', '/consumers');
    print(o, list, () => list.map((c) => `${c.id}  ${c.name}  [${c.status}]  created ${c.createdAt}`).join('\n') || 'no consumers');
  });
  withCommon(consumers.command('disable').description("disable a consumer: all of its keys stop working at once").argument('<id>')).action(
    async (id: string, o: Common) => {
      const c = await createAdminClient(o)<Consumer>('POST', `/consumers/${encodeURIComponent(id)}/disable`);
      print(o, c, () => `disabled consumer ${c.id} (${c.name})`);
    },
  );

  const keys = program.command('keys').description('manage API keys');
  withCommon(
    keys
      .command('create')
      .description('create an API key (shown once)')
      .requiredOption('--consumer <id>', 'the consumer the key belongs to')
      .option('--scope <scope>', 'a scope the key grants (repeatable)', collect, [])
      .option('--allow-ip <cidr>', 'only accept calls from this address or CIDR (repeatable)', collect, [])
      .option('--allow-origin <host>', 'only accept calls whose Origin is this host or *.domain (repeatable)', collect, [])
      .option('--expires-in <duration>', 'lifetime such as 30d (the key age policy caps it either way)'),
  ).action(async (o: Common & { consumer: string; scope: string[]; allowIp: string[]; allowOrigin: string[]; expiresIn?: string }) => {
    const k = await createAdminClient(o)<Key>('POST', '/keys', {
      consumerId: o.consumer,
      scopes: o.scope,
      allowedIps: o.allowIp,
      allowedOrigins: o.allowOrigin,
      ...(o.expiresIn ? { expiresIn: o.expiresIn } : {}),
    });
    print(o, k, () => shownOnce(k));
  });
  withCommon(
    keys
      .command('rotate')
      .description('issue a successor key; the old one keeps working until the grace period ends')
      .argument('<id>')
      .option('--grace <duration>', 'how long the old key keeps working', '24h'),
  ).action(async (id: string, o: Common & { grace: string }) => {
    const k = await createAdminClient(o)<Key>('POST', `/keys/${encodeURIComponent(id)}/rotate`, { grace: o.grace });
    print(o, k, () => `${shownOnce(k)}\nThe old key ${id} works until ${k.graceEndsAt}.`);
  });
  withCommon(keys.command('revoke').description('revoke a key, effective immediately').argument('<id>')).action(async (id: string, o: Common) => {
    const k = await createAdminClient(o)<Key>('POST', `/keys/${encodeURIComponent(id)}/revoke`);
    print(o, k, () => `revoked ${k.id}`);
  });
  withCommon(keys.command('list').description('list keys; keys due for rotation are flagged').option('--consumer <id>', 'only this consumer')).action(
    async (o: Common & { consumer?: string }) => {
      const query = o.consumer ? `?consumer=${encodeURIComponent(o.consumer)}` : '';
      const { keys: list } = await createAdminClient(o)<{ keys: Key[] }>('GET', `/keys${query}`);
      print(o, list, () => list.map(keyLine).join('\n') || 'no keys');
    },
  );

  const signingSecrets = program.command('signing-secrets').description('hmac-sha256 secrets for RFC 9421 request signatures');
  withCommon(signingSecrets.command('create').description('create a signing secret for a consumer (shown once)').requiredOption('--consumer <id>', 'the consumer that signs')).action(
    async (o: Common & { consumer: string }) => {
      const r = await createAdminClient(o)<SigningKeyView & { secret: string }>('POST', `/consumers/${encodeURIComponent(o.consumer)}/signing-secrets`);
      print(o, r, () => `${r.secret}\n\nThis secret is shown once: store it in a secret manager now. Key id (keyid): ${r.keyId}, algorithm hmac-sha256`);
    },
  );
  const publicKeys = program.command('public-keys').description('Ed25519 public keys for RFC 9421 request signatures');
  withCommon(
    publicKeys
      .command('add')
      .description("register a consumer's Ed25519 public key")
      .requiredOption('--consumer <id>', 'the consumer that signs')
      .requiredOption('--jwk <file>', 'a file holding the public key as a JWK, e.g. {"kty":"OKP","crv":"Ed25519","x":"..."}'),
  ).action(async (o: Common & { consumer: string; jwk: string }) => {
    let jwk: unknown;
    try {
      jwk = JSON.parse(readFileSync(o.jwk, 'utf8'));
    } catch (error) {
      throw new CliError(`--jwk ${o.jwk}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not a JSON document'}; give a file holding {"kty":"OKP","crv":"Ed25519","x":"..."}`);
    }
    const r = await createAdminClient(o)<SigningKeyView>('POST', `/consumers/${encodeURIComponent(o.consumer)}/public-keys`, { jwk });
    print(o, r, () => `registered ${r.keyId} (ed25519) for ${r.consumerId}: sign with keyid "${r.keyId}"`);
  });

  const keyring = program.command('keyring').description('encryption keys for secrets at rest');
  withCommon(keyring.command('rotate').description('start a new data key and re-wrap all data keys under the current master key')).action(
    async (o: Common) => {
      const r = await createAdminClient(o)<{ dataKeyId: string; masterKeyId: string; rewrapped: number }>('POST', '/keyring/rotate');
      print(o, r, () => `new data key ${r.dataKeyId}; ${r.rewrapped} data key(s) re-wrapped under master key ${r.masterKeyId}`);
    },
  );

  const audit = program.command('audit').description('the tamper-evident audit log');
  withCommon(audit.command('verify').description('recompute the hash chain; exits 3 if a record was altered or removed')).action(async (o: Common) => {
    const r = await createAdminClient(o)<{ ok: boolean; records: number; head?: string | null; brokenAt?: string }>('GET', '/audit/verify');
    print(o, r, () => (r.ok ? `audit log intact: ${r.records} records, head ${r.head ?? '-'}` : `AUDIT LOG BROKEN at record ${r.brokenAt} (after ${r.records} good records)`));
    if (!r.ok) throw new CliError('', 'audit_broken');
  });
}
