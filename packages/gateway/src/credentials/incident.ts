import { parseCredential } from '@portcullis/protocol';
import { appendAudit } from '../observe/audit.js';
import type { Actor, CredentialDeps } from './deps.js';
import { CredentialError } from './errors.js';
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
}

/**
 * Incident response for one consumer: every key that is not revoked yet is revoked, in one transaction
 * with the audit record and one change event that drops all of the consumer's cached keys at every
 * instance (the event travels with the transaction). With `reissue`, each key that was still working gets a successor with the same scopes,
 * allow-lists and lifetime, in the same transaction. (OAuth client secrets and tokens join this once the
 * authorization server exists.)
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
    await appendAudit(
      tx,
      { actor, action: 'consumer.incident', target: consumerId, detail: { revoked: keys.map((k) => k.id), reissued: reissued.map((r) => ({ id: r.key.id, replaces: r.replaces })) } },
      now,
    );
    await publish({ kind: 'consumer', id: consumerId });
    return { consumerId, revoked: keys.map((k) => k.id), reissued };
  });
}

export type LeakOutcome =
  | { readonly found: false }
  | { readonly found: true; readonly keyId: string; readonly consumerId: string; readonly revokedNow: boolean };

/**
 * A credential reported as found in public: when it is one of our API keys (shape, checksum, id and
 * the hash of the whole value all match), it is revoked at once. A guessed id with a wrong secret matches
 * nothing, so a report cannot revoke someone else's key.
 */
export async function revokeLeakedKey(deps: CredentialDeps, actor: Actor, token: string): Promise<LeakOutcome> {
  const parsed = parseCredential(token);
  if (!parsed.ok || parsed.credential.kind !== 'apiKey') return { found: false };
  const stored = await findKeyForVerification(deps.db, parsed.credential.id);
  if (!stored || !hashesEqual(hashSecret(token), stored.secretHash)) return { found: false };
  const revokedNow = !stored.revokedAt;
  if (revokedNow) await revokeApiKey(deps, actor, stored.id);
  return { found: true, keyId: stored.id, consumerId: stored.consumerId, revokedNow };
}
