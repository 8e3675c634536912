import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError } from './cli-error.js';
import { client, print, withCommon } from './common.js';
import type { AddPublicKeyResponse, CreateSigningSecretResponse } from '../admin/api-types.js';
import type { Common } from './common.js';


/** `signing-secrets create` and `public-keys add`: the keys consumers sign requests with (RFC 9421). */
export function registerSigningCommands(program: Command): void {
  const signingSecrets = program.command('signing-secrets').description('hmac-sha256 secrets for RFC 9421 request signatures');
  withCommon(signingSecrets.command('create').description('create a signing secret for a consumer (shown once)').requiredOption('--consumer <id>', 'the consumer that signs')).action(
    async (o: Common & { consumer: string }) => {
      const r = await client(o)<CreateSigningSecretResponse>('POST', `/consumers/${encodeURIComponent(o.consumer)}/signing-secrets`);
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
      throw new CliError(`--jwk ${o.jwk}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not a JSON document'}; give a file holding {"kty":"OKP","crv":"Ed25519","x":"..."}`, 'usage');
    }
    const r = await client(o)<AddPublicKeyResponse>('POST', `/consumers/${encodeURIComponent(o.consumer)}/public-keys`, { jwk });
    print(o, r, () => `registered ${r.keyId} (ed25519) for ${r.consumerId}: sign with keyid "${r.keyId}"`);
  });
}
