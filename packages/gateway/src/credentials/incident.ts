import { parseCredential } from '@portcullis/protocol';
import { appendAudit } from '../observe/audit.js';
import type { Actor, CredentialDeps } from './deps.js';
import { CredentialError } from './errors.js';
import { insertNewClient, revokeClient } from './clients.js';
import type { IssuedClient } from './clients.js';
import { findClientBySecretHash, listClients, markClientRevoked } from './client-repository.js';
import { insertNewKey } from './issue-key.js';
import type { IssuedKey } from './issue-key.js';
import { keyStatus } from './model.js';
import { findConsumer, findKeyForVerification, listApiKeys, markRevoked } from './repository.js';
import { revokeApiKey } from './revoke-key.js';
import { hashSecret, hashesEqual } from './secret-hash.js';

export interface IncidentResult {
  readonly consumerId: string;
  readonly revoked: readonly string[];
  /** With `reissue`: one replacement per key that was still working, on the same terms. */
  readonly reissued: readonly (IssuedKey & { readonly replaces: string })[];
  /** OAuth clients revoked: their secrets and every token they hold stop working. */
  readonly revokedClients: readonly string[];
  /** With `reissue`: one replacement per client_secret client, with a new secret, on the same terms. */
  readonly reissuedClients: readonly (IssuedClient & { readonly secret: string; readonly replaces: string })[];
}

/**
 * Incident response for one consumer, in one transaction with its audit record: every key that is not
 * revoked yet is revoked, and so is every OAuth client, which refuses its secrets, its refresh tokens
 * and every access token it was issued (the token verifier refuses the tokens of a revoked client). One
 * change event for the consumer, sent with the commit, drops its cached keys and clients at every instance.
 * With `reissue`, each key that was still working and each client that authenticated with a secret gets
 * a successor on the same terms (scopes, allow-lists, lifetime; redirect URIs and DPoP binding for
 * clients), in the same transaction. A private_key_jwt client is not reissued: the consumer registers a
 * new key pair, since the old private key may be what leaked.
 */
export async function revokeConsumerCredentials(deps: CredentialDeps, actor: Actor, consumerId: string, options: { reissue: boolean }): Promise<IncidentResult> {
  const now = new Date(deps.clock());
  return deps.bus.transaction(deps.db, async (tx, publish) => {
    const consumer = await findConsumer(tx, consumerId, true);
    if (!consumer) throw new CredentialError('consumer_not_found', `no consumer with id ${consumerId}`);
    if (options.reissue && consumer.disabledAt) throw new CredentialError('consumer_disabled', `consumer ${consumerId} is disabled: revoke without --reissue`);
    const keys = (await listApiKeys(tx, consumerId)).filter((k) => !k.revokedAt);
    const reissued: (IssuedKey & { replaces: string })[] = [];
    for (const key of keys) {
      const working = keyStatus(key, deps.policy, now.getTime()) === 'active';
      await markRevoked(tx, key.id, now);
      if (options.reissue && working) {
        const lifetime = key.expiresAt ? key.expiresAt.getTime() - key.createdAt.getTime() : undefined;
        const issued = await insertNewKey(tx, consumerId, { ...key, ...(lifetime === undefined ? {} : { expiresIn: lifetime }) }, now);
        reissued.push({ ...issued, replaces: key.id });
      }
    }
    const clients = (await listClients(tx, consumerId)).filter((c) => !c.revokedAt);
    const reissuedClients: (IssuedClient & { secret: string; replaces: string })[] = [];
    for (const client of clients) {
      await markClientRevoked(tx, client.id, now);
      if (options.reissue && client.authMethod === 'client_secret') {
        const issued = await insertNewClient(tx, consumerId, client, now);
        reissuedClients.push({ ...issued, secret: issued.secret as string, replaces: client.id });
      }
    }
    await appendAudit(
      tx,
      {
        actor,
        action: 'consumer.incident',
        target: consumerId,
        detail: {
          revoked: keys.map((k) => k.id),
          reissued: reissued.map((r) => ({ id: r.key.id, replaces: r.replaces })),
          revokedClients: clients.map((c) => c.id),
          reissuedClients: reissuedClients.map((r) => ({ id: r.client.id, replaces: r.replaces })),
        },
      },
      now,
    );
    await publish({ kind: 'consumer', id: consumerId });
    for (const client of clients) await publish({ kind: 'oauth-client', id: client.id });
    return { consumerId, revoked: keys.map((k) => k.id), reissued, revokedClients: clients.map((c) => c.id), reissuedClients };
  });
}

export type LeakOutcome =
  | { readonly found: false }
  | { readonly found: true; readonly kind: 'api-key' | 'oauth-client'; readonly id: string; readonly consumerId: string; readonly revokedNow: boolean };

/**
 * A credential reported as found in public: when it is one of our API keys (shape, checksum, id and
 * the hash of the whole value all match), it is revoked at once; when it is an OAuth client secret
 * (current, or previous and still in its grace period), the client is revoked with its tokens. A
 * guessed id with a wrong secret matches nothing, so a report cannot revoke someone else's credential.
 */
export async function revokeLeakedCredential(deps: CredentialDeps, actor: Actor, token: string): Promise<LeakOutcome> {
  const parsed = parseCredential(token);
  if (!parsed.ok) return { found: false };
  if (parsed.credential.kind === 'clientSecret') {
    const client = await findClientBySecretHash(deps.db, hashSecret(token), new Date(deps.clock()));
    if (!client) return { found: false };
    if (!client.revoked) await revokeClient(deps, actor, client.id);
    return { found: true, kind: 'oauth-client', id: client.id, consumerId: client.consumerId, revokedNow: !client.revoked };
  }
  if (parsed.credential.kind !== 'apiKey') return { found: false };
  const stored = await findKeyForVerification(deps.db, parsed.credential.id);
  if (!stored || !hashesEqual(hashSecret(token), stored.secretHash)) return { found: false };
  const revokedNow = !stored.revokedAt;
  if (revokedNow) await revokeApiKey(deps, actor, stored.id);
  return { found: true, kind: 'api-key', id: stored.id, consumerId: stored.consumerId, revokedNow };
}
