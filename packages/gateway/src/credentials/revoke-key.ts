import { appendAudit } from '../observe/audit.js';
import type { Actor, CredentialDeps } from './deps.js';
import { CredentialError } from './errors.js';
import type { ApiKey } from './model.js';
import { parseCredential } from '@portcullis/protocol';
import { findApiKey, findKeyForVerification, markRevoked } from './repository.js';
import { DUMMY_HASH, hashSecret, hashesEqual } from './secret-hash.js';

/** Revocation is immediate: the announcement is part of the transaction, so every instance drops the key. */
export async function revokeApiKey(deps: CredentialDeps, actor: Actor, id: string): Promise<ApiKey> {
  const now = new Date(deps.clock());
  return deps.bus.transaction(deps.db, async (tx, publish) => {
    const existing = await findApiKey(tx, id, true);
    if (!existing) throw new CredentialError('key_not_found', `no key with id ${id}`);
    if (existing.revokedAt) return existing;
    await markRevoked(tx, id, now);
    await appendAudit(tx, { actor, action: 'key.revoke', target: id }, now);
    await publish({ kind: 'api-key', id });
    return { ...existing, revokedAt: now };
  });
}

export async function getApiKey(deps: CredentialDeps, id: string): Promise<ApiKey> {
  const key = await findApiKey(deps.db, id);
  if (!key) throw new CredentialError('key_not_found', `no key with id ${id}`);
  return key;
}

/**
 * The key a full key value belongs to, compared by hash in constant time; undefined when none matches.
 * The value is never stored, logged or put in an error.
 */
export async function findApiKeyByValue(deps: CredentialDeps, value: string): Promise<ApiKey | undefined> {
  const presented = hashSecret(value);
  const parsed = parseCredential(value);
  const stored = parsed.ok && parsed.credential.kind === 'apiKey' ? await findKeyForVerification(deps.db, parsed.credential.id) : undefined;
  if (!hashesEqual(presented, stored?.secretHash ?? DUMMY_HASH) || !stored) return undefined;
  const { secretHash: _hash, consumerDisabled: _disabled, ...key } = stored;
  return key;
}
