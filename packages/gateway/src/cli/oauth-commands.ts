import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createAdminClient } from './admin-client.js';
import { CliError } from './cli-error.js';
import { print, withCommon } from './common.js';
import type {
  CreateClientResponse,
  ListClientsResponse,
  ListSigningKeysResponse,
  RotateClientSecretRequest,
  RotateClientSecretResponse,
  RotateSigningKeysRequest,
  RotateSigningKeysResponse,
} from '../admin/api-types.js';
import type { Common } from './common.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** A client as the admin API shows it; its secret only when just issued or rotated. */
type Client = CreateClientResponse & Partial<Pick<RotateClientSecretResponse, 'previousSecretValidUntil'>>;
type SigningKey = ListSigningKeysResponse['keys'][number];

const keyLine = (k: SigningKey) => `${k.kid}  ${k.alg}  [${k.status}]  signs from ${k.signsFrom}`;

function clientLine(c: Client): string {
  return `${c.client_id}  ${c.consumerId}  [${c.status}]  ${c.tokenEndpointAuthMethod}  scopes: ${c.scopes.join(' ') || '-'}  created ${c.createdAt}`;
}

function shownOnce(c: Client): string {
  if (!c.client_secret) return `client_id: ${c.client_id}\nThis client authenticates with private_key_jwt (RFC 7523): it signs its assertions with the private key of the JWK you registered.`;
  return `client_id:     ${c.client_id}\nclient_secret: ${c.client_secret}\n\nThe secret is shown once: store it in a secret manager now.`;
}

function readJwk(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`--jwk: cannot read ${file} (${(error as { code?: string }).code ?? 'error'})`, 'usage');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`--jwk: ${file} is not JSON; expected a public JWK such as {"kty":"EC","crv":"P-256","x":"...","y":"...","alg":"ES256"}`, 'usage');
  }
}

/** `portcullis clients ...` and `portcullis signing-keys ...`: OAuth clients and the token signing keys. */
export function registerOAuthCommands(program: Command): void {
  const clients = program.command('clients').description('manage OAuth 2.0 clients (they obtain access tokens at /oauth/token)');
  withCommon(
    clients
      .command('create')
      .description('create an OAuth client (its secret is shown once)')
      .requiredOption('--consumer <id>', 'the consumer the client belongs to')
      .option('--scope <scope>', 'a scope the client may request (repeatable)', collect, [])
      .option('--allow-ip <cidr>', 'only accept its tokens from this address or CIDR (repeatable)', collect, [])
      .option('--allow-origin <host>', 'only accept its tokens with this Origin host or *.domain (repeatable)', collect, [])
      .option('--redirect-uri <url>', 'for authorization_code with PKCE: where users return with the code (repeatable)', collect, [])
      .option('--dpop', 'require DPoP (RFC 9449): its tokens work only with a proof of its key')
      .option('--jwk <file>', 'a public JWK file (with "alg"): authenticate with private_key_jwt instead of a secret'),
  ).action(async (o: Common & { consumer: string; scope: string[]; allowIp: string[]; allowOrigin: string[]; redirectUri: string[]; dpop?: boolean; jwk?: string }) => {
    const c = await createAdminClient(o)<Client>('POST', '/clients', {
      consumerId: o.consumer,
      scopes: o.scope,
      allowedIps: o.allowIp,
      allowedOrigins: o.allowOrigin,
      redirectUris: o.redirectUri,
      requireDpop: o.dpop === true,
      ...(o.jwk ? { jwk: readJwk(o.jwk) } : {}),
    });
    print(o, c, () => shownOnce(c));
  });
  withCommon(clients.command('list').description('list OAuth clients').option('--consumer <id>', 'only this consumer')).action(
    async (o: Common & { consumer?: string }) => {
      const query = o.consumer ? `?consumer=${encodeURIComponent(o.consumer)}` : '';
      const { clients: list } = await createAdminClient(o)<ListClientsResponse>('GET', `/clients${query}`);
      print(o, list, () => list.map(clientLine).join('\n') || 'no clients');
    },
  );
  withCommon(
    clients
      .command('rotate-secret')
      .description('issue a new client secret; the old one keeps working until the grace period ends')
      .argument('<id>')
      .option('--grace <duration>', 'how long the old secret keeps working (0s: cut over at once, for a leaked secret)', '24h'),
  ).action(async (id: string, o: Common & { grace: string }) => {
    const c = await createAdminClient(o)<RotateClientSecretResponse>('POST', `/clients/${encodeURIComponent(id)}/rotate-secret`, { grace: o.grace } satisfies RotateClientSecretRequest);
    print(o, c, () => `${shownOnce(c)}\nThe old secret works until ${c.previousSecretValidUntil}.`);
  });
  withCommon(clients.command('revoke').description('revoke a client: its secret and every token it holds stop working').argument('<id>')).action(
    async (id: string, o: Common) => {
      const c = await createAdminClient(o)<Client>('POST', `/clients/${encodeURIComponent(id)}/revoke`);
      print(o, c, () => `revoked ${c.client_id}`);
    },
  );

  const signingKeys = program.command('signing-keys').description('the keys access tokens are signed with (published at /.well-known/jwks.json)');
  withCommon(signingKeys.command('list').description('list the published signing keys')).action(async (o: Common) => {
    const { keys } = await createAdminClient(o)<ListSigningKeysResponse>('GET', '/signing-keys');
    print(o, keys, () => keys.map(keyLine).join('\n'));
  });
  withCommon(
    signingKeys
      .command('rotate')
      .description('publish the next signing key now; it signs after the lead time, and the old key stays published until its tokens expired')
      .option('--lead <duration>', 'how long the next key is published before it signs', '15m'),
  ).action(async (o: Common & { lead: string }) => {
    const r = await createAdminClient(o)<RotateSigningKeysResponse>('POST', '/signing-keys/rotate', { lead: o.lead } satisfies RotateSigningKeysRequest);
    print(o, r, () => `published ${r.kid}; it signs from ${r.signsFrom}\n${r.keys.map(keyLine).join('\n')}`);
  });
}
