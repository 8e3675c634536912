import { appendAudit } from '../observe/audit.js';
import type { Actor, CredentialDeps } from './deps.js';
import { CredentialError } from './errors.js';
import { insertNewKey } from './issue-key.js';
import type { IssuedKey } from './issue-key.js';
import { effectiveExpiry, keyStatus } from './model.js';
import { findApiKey, findConsumer, markRotated } from './repository.js';

/**
 * Issues a successor with the same scopes and allow-lists; the old key keeps working until the grace
 * period ends (never beyond its own expiry), so callers can switch without an outage. One transaction.
 */
export async function rotateApiKey(deps: CredentialDeps, actor: Actor, id: string, graceMs: number): Promise<IssuedKey & { graceEndsAt: Date }> {
  const now = new Date(deps.clock());
  return deps.bus.transaction(deps.db, async (tx, publish) => {
    const old = await findApiKey(tx, id, true);
    if (!old) throw new CredentialError('key_not_found', `no key with id ${id}`);
    if (keyStatus(old, deps.policy, now.getTime()) !== 'active') {
      throw new CredentialError('key_not_active', `key ${id} is ${keyStatus(old, deps.policy, now.getTime())}; only an active key can be rotated`);
    }
    const consumer = await findConsumer(tx, old.consumerId);
    if (consumer?.disabledAt) throw new CredentialError('consumer_disabled', `consumer ${old.consumerId} is disabled`);
    // The successor gets the lifetime the old key was created with: rotation renews the secret on the
    // same terms, it neither stretches a short-lived key by the grace period nor cuts a long one short.
    const lifetime = old.expiresAt ? old.expiresAt.getTime() - old.createdAt.getTime() : undefined;
    const issued = await insertNewKey(tx, old.consumerId, { ...old, ...(lifetime === undefined ? {} : { expiresIn: lifetime }) }, now);
    const graceEndsAt = new Date(Math.min(now.getTime() + graceMs, effectiveExpiry(old, deps.policy)));
    await markRotated(tx, id, issued.key.id, graceEndsAt);
    await appendAudit(tx, { actor, action: 'key.rotate', target: id, detail: { newKeyId: issued.key.id, graceEndsAt: graceEndsAt.toISOString() } }, now);
    await publish({ kind: 'api-key', id });
    return { ...issued, graceEndsAt };
  });
}
