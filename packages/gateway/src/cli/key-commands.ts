import { text } from 'node:stream/consumers';
import type { Command } from 'commander';
import { CREDENTIAL_PREFIXES, parseCredential } from '@portcullis/protocol';
import type { CreateKeyRequest, CreateKeyResponse, Key as ApiKey, ListKeysResponse, RotateKeyRequest, RotateKeyResponse } from '../admin/api-types.js';
import type { AdminCall } from './admin-client.js';
import { CliError } from './cli-error.js';
import { client, print, withCommon } from './common.js';
import type { Common } from './common.js';
import { commaList, durationFlag, ipItem, scopeItem } from './flags.js';
import { details, paint, status, table, when } from './output.js';

/** A key as the admin API shows it; `key` (and after a rotation `replaces`, `graceEndsAt`) only when just issued. */
export type Key = ApiKey & Partial<Pick<RotateKeyResponse, 'key' | 'replaces' | 'graceEndsAt'>>;

const KEY_OR_ID = 'key id, or the key itself (looked up by its hash, never shown); "-" reads the key from stdin';

/**
 * A key id as typed, or the key itself (what you hold after a leak): a key is looked up by its hash
 * through the admin API's POST body, never put in a URL, and never repeated in any message.
 */
async function findKey(call: AdminCall, given: string): Promise<Key> {
  const value = given === '-' ? (await text(process.stdin)).trim() : given.trim();
  if (value.startsWith(`${CREDENTIAL_PREFIXES.apiKey}_`)) {
    const parsed = parseCredential(value);
    if (!parsed.ok) throw new CliError('the API key given is not valid (its format or checksum is wrong): check that it was copied whole');
    return call<Key>('POST', '/keys/lookup', { key: value });
  }
  if (given === '-') throw new CliError('stdin did not hold an API key (pck_...)');
  return call<Key>('GET', `/keys/${encodeURIComponent(value)}`);
}

function keyStatus(k: Key): string {
  return [status(k.status), k.rotationDue && k.status === 'active' ? status('rotation due') : ''].filter(Boolean).join(', ');
}

function allowed(k: Key): string {
  const parts = [...k.allowedIps, ...k.allowedOrigins.map((o) => `origin ${o}`)];
  return parts.join(' ') || 'any';
}

function keyDetails(k: Key): string {
  return details([
    ['id', k.id],
    ['consumer', k.consumerId],
    ['status', keyStatus(k)],
    ['scopes', k.scopes.join(' ') || '(none)'],
    ['allowed IPs', k.allowedIps.join(' ') || 'any'],
    ['allowed origins', k.allowedOrigins.join(' ') || 'any'],
    ['created', when(k.createdAt)],
    ['expires', when(k.expiresAt)],
    ['last used', when(k.lastUsedAt)],
    ...(k.revokedAt ? [['revoked', when(k.revokedAt)] as const] : []),
    ...(k.rotatedTo ? [['replaced by', k.rotatedTo] as const] : []),
  ]);
}

function shownOnce(k: Key): string {
  return [
    k.key,
    '',
    `Key id ${k.id}, scopes ${k.scopes.join(' ') || '(none)'}, expires ${when(k.expiresAt)}.`,
    paint('This key is shown once: store it in a secret manager now.', 'bold'),
  ].join('\n');
}

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('manage API keys');
  withCommon(
    keys
      .command('create')
      .description('create an API key (shown once)')
      .requiredOption('--consumer <id>', 'the consumer the key belongs to')
      .option('--scope <scopes>', 'scopes the key grants: repeat the flag or separate with commas (--scope a:read,a:write)', commaList(scopeItem), [])
      .option('--allow-ip <cidrs>', 'only accept calls from these addresses or CIDRs (repeatable, or comma-separated)', commaList(ipItem), [])
      .option('--allow-origin <hosts>', 'only accept calls whose Origin is one of these hosts or *.domain (repeatable, or comma-separated)', commaList(), [])
      .option('--expires-in <duration>', 'lifetime such as 30d, 2w or 1h30m; at most the gateway\'s keys.maxAge (default: keys.maxAge)', durationFlag('30d')),
  ).action(async (o: Common & { consumer: string; scope: string[]; allowIp: string[]; allowOrigin: string[]; expiresIn?: string }) => {
    const request: CreateKeyRequest = {
      consumerId: o.consumer,
      scopes: o.scope,
      allowedIps: o.allowIp,
      allowedOrigins: o.allowOrigin,
      ...(o.expiresIn ? { expiresIn: o.expiresIn } : {}),
    };
    const k = await client(o)<CreateKeyResponse>('POST', '/keys', request);
    print(o, k, () => shownOnce(k));
  });
  withCommon(
    keys
      .command('rotate')
      .description('issue a successor key; the old one keeps working until the grace period ends')
      .argument('<id>', 'the id of the key to replace')
      .option('--grace <duration>', 'how long the old key keeps working, such as 24h, 1h30m, or 0s to cut over at once', durationFlag('24h', { allowZero: true }), '24h'),
  ).action(async (id: string, o: Common & { grace: string }) => {
    const k = await client(o)<RotateKeyResponse>('POST', `/keys/${encodeURIComponent(id)}/rotate`, { grace: o.grace } satisfies RotateKeyRequest);
    print(o, k, () => `${shownOnce(k)}\nThe old key ${id} works until ${when(k.graceEndsAt)}.`);
  });
  withCommon(keys.command('revoke').description('revoke a key, effective immediately').argument('<id-or-key>', KEY_OR_ID)).action(async (given: string, o: Common) => {
    const call = client(o);
    const found = await findKey(call, given);
    const k = await call<Key>('POST', `/keys/${encodeURIComponent(found.id)}/revoke`);
    print(o, k, () => `revoked ${k.id} (consumer ${k.consumerId})`);
  });
  withCommon(keys.command('show').description('show one key: status, scopes, allow-lists, expiry, last use').argument('<id-or-key>', KEY_OR_ID)).action(
    async (given: string, o: Common) => {
      const k = await findKey(client(o), given);
      print(o, k, () => keyDetails(k));
    },
  );
  withCommon(keys.command('list').description('list keys; keys due for rotation are flagged').option('--consumer <id>', 'only this consumer')).action(
    async (o: Common & { consumer?: string }) => {
      const query = o.consumer ? `?consumer=${encodeURIComponent(o.consumer)}` : '';
      const reply = await client(o)<ListKeysResponse>('GET', `/keys${query}`);
      print(o, reply, () =>
        reply.keys.length === 0
          ? 'no keys'
          : table(
              ['ID', 'CONSUMER', 'STATUS', 'SCOPES', 'ALLOWED', 'EXPIRES', 'LAST USED'],
              reply.keys.map((k) => [k.id, k.consumerId, keyStatus(k), k.scopes.join(' ') || '-', allowed(k), when(k.expiresAt), when(k.lastUsedAt)]),
            ),
      );
    },
  );
}
