import { randomBase62 } from '@portcullis/protocol';
import { appendAudit } from '../observe/audit.js';
import type { Actor, CredentialDeps } from './deps.js';
import { CredentialError } from './errors.js';
import type { Consumer } from './model.js';
import { findConsumer, insertConsumer, listConsumers as selectConsumers, setConsumerDisabled } from './repository.js';

export async function createConsumer(deps: CredentialDeps, actor: Actor, name: string): Promise<Consumer> {
  const now = new Date(deps.clock());
  return deps.db.transaction(async (tx) => {
    const consumer = await insertConsumer(tx, { id: `con_${randomBase62(12)}`, name, createdAt: now });
    if (!consumer) throw new CredentialError('name_taken', `a consumer named "${name}" already exists`);
    await appendAudit(tx, { actor, action: 'consumer.create', target: consumer.id, detail: { name } }, now);
    return consumer;
  });
}

export async function listConsumers(deps: CredentialDeps): Promise<Consumer[]> {
  return selectConsumers(deps.db);
}

export async function getConsumer(deps: CredentialDeps, id: string): Promise<Consumer> {
  const consumer = await findConsumer(deps.db, id);
  if (!consumer) throw new CredentialError('consumer_not_found', `no consumer with id ${id}`);
  return consumer;
}

/** Disabling a consumer stops all of its keys at once, at every instance (through the change bus). */
export async function disableConsumer(deps: CredentialDeps, actor: Actor, id: string): Promise<Consumer> {
  const now = new Date(deps.clock());
  return deps.bus.transaction(deps.db, async (tx, publish) => {
    const existing = await findConsumer(tx, id, true);
    if (!existing) throw new CredentialError('consumer_not_found', `no consumer with id ${id}`);
    if (existing.disabledAt) return existing;
    const updated = (await setConsumerDisabled(tx, id, now)) as Consumer;
    await appendAudit(tx, { actor, action: 'consumer.disable', target: id }, now);
    await publish({ kind: 'consumer', id });
    return updated;
  });
}

/** Enabling a consumer again: its keys that are neither revoked nor expired work again, at every instance. */
export async function enableConsumer(deps: CredentialDeps, actor: Actor, id: string): Promise<Consumer> {
  const now = new Date(deps.clock());
  return deps.bus.transaction(deps.db, async (tx, publish) => {
    const existing = await findConsumer(tx, id, true);
    if (!existing) throw new CredentialError('consumer_not_found', `no consumer with id ${id}`);
    if (!existing.disabledAt) return existing;
    const updated = (await setConsumerDisabled(tx, id, null)) as Consumer;
    await appendAudit(tx, { actor, action: 'consumer.enable', target: id }, now);
    await publish({ kind: 'consumer', id });
    return updated;
  });
}
