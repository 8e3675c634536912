import { generateCredential, randomBase62 } from '@portcullis/protocol';
import { importJWK } from 'jose';
import type { JWK } from 'jose';
import { appendAudit } from '../observe/audit.js';
import type { Actor, CredentialDeps } from './deps.js';
import { CredentialError } from './errors.js';
import type { OAuthClient } from './client-model.js';
import { findClient, insertClient, listClients as selectClients, markClientRevoked, replaceClientSecret } from './client-repository.js';
import type { KeyOptions } from './issue-key.js';
import { findConsumer } from './repository.js';
import { hashSecret } from './secret-hash.js';
import type { Sql } from '../store/sql.js';

/**
 * Algorithms a private_key_jwt client may sign its assertions with: asymmetric only, so the gateway
 * never holds a secret that could forge them (no `none`, no HS*; RFC 8725 §3.1, RFC 7523 §3).
 */
export const CLIENT_ASSERTION_ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'PS256', 'RS256'] as const;

/** The same scopes and allow-lists as a key, and optionally a public key instead of a secret. */
export interface ClientOptions extends Pick<KeyOptions, 'scopes' | 'allowedIps' | 'allowedOrigins'> {
  /** A public JWK with `alg`: the client authenticates with private_key_jwt instead of a secret. */
  readonly jwk?: JWK;
  /** Redirect URIs for authorization_code with PKCE (user-facing apps). */
  readonly redirectUris?: readonly string[];
  /** RFC 9449: tokens bound to the client's DPoP key, useless without a proof. */
  readonly requireDpop?: boolean;
}

/** A new client: the secret (none for private_key_jwt) is returned this once; only its SHA-256 is stored. */
export interface IssuedClient {
  readonly client: OAuthClient;
  readonly secret: string | undefined;
}

/** Refuses anything but a public, asymmetric key with an allowed `alg` that jose can import. */
async function checkPublicJwk(jwk: JWK): Promise<JWK> {
  const fail = (why: string): never => {
    throw new CredentialError('invalid_jwk', `jwk: ${why}`);
  };
  if (jwk.d !== undefined || jwk.k !== undefined || jwk.p !== undefined) fail('this is a private or symmetric key; register the public key only');
  if (typeof jwk.alg !== 'string' || !(CLIENT_ASSERTION_ALGORITHMS as readonly string[]).includes(jwk.alg)) {
    fail(`"alg" must be one of ${CLIENT_ASSERTION_ALGORITHMS.join(', ')}`);
  }
  try {
    await importJWK(jwk, jwk.alg);
  } catch {
    fail(`not a usable ${jwk.alg} public key`);
  }
  const { kty, crv, x, y, n, e, alg, kid } = jwk;
  return Object.fromEntries(Object.entries({ kty, crv, x, y, n, e, alg, kid }).filter(([, v]) => v !== undefined)) as JWK;
}

/** What a client may do and from where: everything but its id and secret (a reissued client keeps these). */
export type ClientTerms = Pick<OAuthClient, 'scopes' | 'allowedIps' | 'allowedOrigins' | 'redirectUris' | 'dpopBound' | 'publicJwk'>;

/** Inserts a client on these terms with a new id and, unless it authenticates with a public key, a new secret. The caller audits. */
export async function insertNewClient(tx: Sql, consumerId: string, terms: ClientTerms, now: Date): Promise<IssuedClient> {
  const secret = terms.publicJwk ? undefined : generateCredential('clientSecret').value;
  const client = await insertClient(tx, {
    id: `cli_${randomBase62(12)}`,
    consumerId,
    authMethod: terms.publicJwk ? 'private_key_jwt' : 'client_secret',
    secretHash: secret ? hashSecret(secret) : null,
    publicJwk: terms.publicJwk,
    scopes: terms.scopes,
    allowedIps: terms.allowedIps,
    allowedOrigins: terms.allowedOrigins,
    redirectUris: terms.redirectUris,
    dpopBound: terms.dpopBound,
    createdAt: now,
  });
  return { client, secret };
}

export async function createClient(deps: CredentialDeps, actor: Actor, consumerId: string, options: ClientOptions): Promise<IssuedClient> {
  const now = new Date(deps.clock());
  const jwk = options.jwk ? await checkPublicJwk(options.jwk) : undefined;
  return deps.db.transaction(async (tx) => {
    const consumer = await findConsumer(tx, consumerId);
    if (!consumer) throw new CredentialError('consumer_not_found', `no consumer with id ${consumerId}`);
    if (consumer.disabledAt) throw new CredentialError('consumer_disabled', `consumer ${consumerId} is disabled`);
    const { client, secret } = await insertNewClient(
      tx,
      consumerId,
      {
        publicJwk: jwk ?? null,
        scopes: [...new Set(options.scopes)].sort(),
        allowedIps: options.allowedIps,
        allowedOrigins: options.allowedOrigins.map((o) => o.toLowerCase()),
        redirectUris: options.redirectUris ?? [],
        dpopBound: options.requireDpop ?? false,
      },
      now,
    );
    await appendAudit(tx, { actor, action: 'client.create', target: client.id, detail: { consumerId, scopes: client.scopes, authMethod: client.authMethod } }, now);
    return { client, secret };
  });
}

export async function listClients(deps: CredentialDeps, consumerId?: string): Promise<OAuthClient[]> {
  return selectClients(deps.db, consumerId);
}

export async function getClient(deps: CredentialDeps, id: string): Promise<OAuthClient> {
  const client = await findClient(deps.db, id);
  if (!client) throw new CredentialError('client_not_found', `no client with id ${id}`);
  return client;
}

/** A new secret at once; the old one keeps working for the grace period, so deployments can switch. */
export async function rotateClientSecret(deps: CredentialDeps, actor: Actor, id: string, graceMs: number): Promise<IssuedClient & { graceEndsAt: Date }> {
  const now = new Date(deps.clock());
  const secret = generateCredential('clientSecret').value;
  const graceEndsAt = new Date(now.getTime() + graceMs);
  const client = await deps.bus.transaction(deps.db, async (tx, publish) => {
    const existing = await findClient(tx, id, true);
    if (!existing) throw new CredentialError('client_not_found', `no client with id ${id}`);
    if (existing.revokedAt) throw new CredentialError('client_not_active', `client ${id} is revoked`);
    if (existing.authMethod !== 'client_secret') throw new CredentialError('client_not_active', `client ${id} authenticates with private_key_jwt; it has no secret`);
    await replaceClientSecret(tx, id, hashSecret(secret), graceEndsAt, now);
    await appendAudit(tx, { actor, action: 'client.rotate-secret', target: id, detail: { graceEndsAt: graceEndsAt.toISOString() } }, now);
    await publish({ kind: 'oauth-client', id });
    return { ...existing, previousSecretExpiresAt: graceEndsAt };
  });
  return { client, secret, graceEndsAt };
}

/** Revoking a client refuses its authentication and every token it holds, at every instance. */
export async function revokeClient(deps: CredentialDeps, actor: Actor, id: string): Promise<OAuthClient> {
  const now = new Date(deps.clock());
  return deps.bus.transaction(deps.db, async (tx, publish) => {
    const existing = await findClient(tx, id, true);
    if (!existing) throw new CredentialError('client_not_found', `no client with id ${id}`);
    if (existing.revokedAt) return existing;
    await markClientRevoked(tx, id, now);
    await appendAudit(tx, { actor, action: 'client.revoke', target: id }, now);
    await publish({ kind: 'oauth-client', id });
    return { ...existing, revokedAt: now };
  });
}
