import { generateCredential } from '@portcullis/protocol';
import { appendAudit } from '../observe/audit.js';
import type { Sql } from '../store/sql.js';
import type { Actor, CredentialDeps } from './deps.js';
import { CredentialError } from './errors.js';
import type { ApiKey } from './model.js';
import { findConsumer, insertApiKey } from './repository.js';
import { hashSecret } from './secret-hash.js';

export interface KeyOptions {
  readonly scopes: readonly string[];
  readonly allowedIps: readonly string[];
  readonly allowedOrigins: readonly string[];
  /** Lifetime in ms; the key age policy's maxAge caps it either way. */
  readonly expiresIn?: number;
}

/** A new key: the value is returned this once and never stored; only its SHA-256 is. */
export interface IssuedKey {
  readonly key: ApiKey;
  readonly value: string;
}

/** Inserts a new key inside the caller's transaction (shared by create and rotate). */
export async function insertNewKey(tx: Sql, consumerId: string, options: KeyOptions, now: Date): Promise<IssuedKey> {
  const credential = generateCredential('apiKey');
  const key = await insertApiKey(tx, {
    id: credential.id,
    consumerId,
    secretHash: hashSecret(credential.value),
    scopes: [...new Set(options.scopes)].sort(),
    allowedIps: options.allowedIps,
    allowedOrigins: options.allowedOrigins.map((o) => o.toLowerCase()),
    createdAt: now,
    expiresAt: options.expiresIn === undefined ? null : new Date(now.getTime() + options.expiresIn),
  });
  return { key, value: credential.value };
}

export async function createApiKey(deps: CredentialDeps, actor: Actor, consumerId: string, options: KeyOptions): Promise<IssuedKey> {
  const now = new Date(deps.clock());
  return deps.db.transaction(async (tx) => {
    const consumer = await findConsumer(tx, consumerId);
    if (!consumer) throw new CredentialError('consumer_not_found', `no consumer with id ${consumerId}`);
    if (consumer.disabledAt) throw new CredentialError('consumer_disabled', `consumer ${consumerId} is disabled`);
    const issued = await insertNewKey(tx, consumerId, options, now);
    await appendAudit(
      tx,
      { actor, action: 'key.create', target: issued.key.id, detail: { consumerId, scopes: issued.key.scopes, allowedIps: issued.key.allowedIps, allowedOrigins: issued.key.allowedOrigins } },
      now,
    );
    return issued;
  });
}
