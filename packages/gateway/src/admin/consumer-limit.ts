import { CredentialError } from '../credentials/errors.js';
import { seesConsumer } from './actor.js';
import type { AdminActor } from './actor.js';

/**
 * An actor limited to named consumers does not learn that another consumer's objects exist: each is
 * refused with the very error (and so the same 404 body) as an id that names nothing (OWASP API1:2023).
 */
export function ensureConsumerVisible(actor: AdminActor, consumerId: string): void {
  if (!seesConsumer(actor, consumerId)) throw new CredentialError('consumer_not_found', `no consumer with id ${consumerId}`);
}

export function ensureKeyVisible<T extends { id: string; consumerId: string }>(actor: AdminActor, key: T): T {
  if (!seesConsumer(actor, key.consumerId)) throw new CredentialError('key_not_found', `no key with id ${key.id}`);
  return key;
}

export function ensureClientVisible<T extends { id: string; consumerId: string }>(actor: AdminActor, client: T): T {
  if (!seesConsumer(actor, client.consumerId)) throw new CredentialError('client_not_found', `no client with id ${client.id}`);
  return client;
}

export function onlyVisible<T extends { consumerId: string }>(actor: AdminActor, items: readonly T[]): T[] {
  return items.filter((item) => seesConsumer(actor, item.consumerId));
}
