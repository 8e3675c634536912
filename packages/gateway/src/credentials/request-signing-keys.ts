import { createPublicKey, randomBytes } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { randomBase62 } from '@portcullis/protocol';
import type { SignatureAlgorithm, SigningKey } from '@portcullis/protocol';
import { boundedCache } from '../lib/bounded-cache.js';
import type { Keyring } from '../crypto/keyring.js';
import { toKeyObject } from '../crypto/wrap.js';
import { appendAudit } from '../observe/audit.js';
import type { ChangeBus } from '../state/change-bus.js';
import type { Sql } from '../store/sql.js';
import type { Actor, CredentialDeps } from './deps.js';
import { CredentialError } from './errors.js';
import { findConsumer, findSigningKeyForVerification, insertSigningKey } from './repository.js';
import type { SigningKeyRow } from './repository.js';

/**
 * Request-signing material (RFC 9421), keyed by consumer so that it serves API keys and OAuth clients
 * alike: an hmac-sha256 secret the gateway generates (sealed by the keyring, shown once), or an Ed25519
 * public key the consumer registers.
 */
export interface SigningKeyRecord {
  readonly id: string;
  readonly consumerId: string;
  readonly algorithm: SignatureAlgorithm;
  readonly createdAt: Date;
}

/** The key id prefix: recognisable in logs and by secret scanners. */
const KEY_ID_PREFIX = 'psk_';
const SECRET_BYTES = 32;
const sealContext = (id: string) => `signing-key:${id}`;

function toRecord(row: SigningKeyRow): SigningKeyRecord {
  return { id: row.id, consumerId: row.consumerId, algorithm: row.algorithm, createdAt: row.createdAt };
}

async function activeConsumer(tx: Sql, consumerId: string): Promise<void> {
  const consumer = await findConsumer(tx, consumerId);
  if (!consumer) throw new CredentialError('consumer_not_found', `no consumer with id ${consumerId}`);
  if (consumer.disabledAt) throw new CredentialError('consumer_disabled', `consumer ${consumerId} is disabled`);
}

/** A new hmac-sha256 secret for the consumer: returned this once (base64url), stored only sealed. */
export async function createSigningSecret(deps: CredentialDeps, keyring: Keyring, actor: Actor, consumerId: string) {
  const id = KEY_ID_PREFIX + randomBase62(16);
  const secret = randomBytes(SECRET_BYTES);
  const sealed = await keyring.encrypt(secret, sealContext(id));
  const now = new Date(deps.clock());
  const record = await deps.db.transaction(async (tx) => {
    await activeConsumer(tx, consumerId);
    const row = await insertSigningKey(tx, { id, consumerId, algorithm: 'hmac-sha256', secretSealed: sealed, publicJwk: null, createdAt: now });
    await appendAudit(tx, { actor, action: 'signing-secret.create', target: id, detail: { consumerId } }, now);
    return toRecord(row);
  });
  return { record, secret: secret.toString('base64url') };
}

/** The JWK of an Ed25519 public key (RFC 8037 `OKP`/`Ed25519`), or a message saying what is wrong with it. */
export function parseEd25519Jwk(jwk: unknown): { ok: true; key: KeyObject; jwk: JsonWebKey } | { ok: false; message: string } {
  const candidate = jwk as JsonWebKey | null;
  if (!candidate || typeof candidate !== 'object' || candidate.kty !== 'OKP' || candidate.crv !== 'Ed25519' || typeof candidate.x !== 'string') {
    return { ok: false, message: 'expected an Ed25519 public JWK such as {"kty":"OKP","crv":"Ed25519","x":"<base64url>"}' };
  }
  if ('d' in candidate) return { ok: false, message: 'this JWK contains the private key ("d"): send only the public part, and keep the private key secret' };
  try {
    const jwkPublic: JsonWebKey = { kty: 'OKP', crv: 'Ed25519', x: candidate.x };
    return { ok: true, key: createPublicKey({ key: jwkPublic, format: 'jwk' }), jwk: jwkPublic };
  } catch {
    return { ok: false, message: 'the "x" member is not a valid Ed25519 public key' };
  }
}

/** Registers an Ed25519 public key the consumer signs with. */
export async function addPublicKey(deps: CredentialDeps, actor: Actor, consumerId: string, jwk: JsonWebKey): Promise<SigningKeyRecord> {
  const id = KEY_ID_PREFIX + randomBase62(16);
  const now = new Date(deps.clock());
  return deps.db.transaction(async (tx) => {
    await activeConsumer(tx, consumerId);
    const row = await insertSigningKey(tx, { id, consumerId, algorithm: 'ed25519', secretSealed: null, publicJwk: { ...jwk }, createdAt: now });
    await appendAudit(tx, { actor, action: 'public-key.add', target: id, detail: { consumerId } }, now);
    return toRecord(row);
  });
}

export interface ResolvedSigningKey extends SigningKey {
  readonly consumerId: string;
}

/**
 * Finds verification keys by key id, with a bounded cache: a hit costs no query and no decryption. A
 * revoked key or a disabled consumer is not returned. Unknown ids are cached briefly too (an attacker
 * can send any number of them).
 */
export class SigningKeyResolver {
  private readonly cache = boundedCache<string, ResolvedSigningKey | false>({ max: 50_000, ttl: 60_000 });

  private readonly unsubscribe: () => void;

  constructor(private readonly db: Sql, private readonly keyring: Keyring, bus: ChangeBus) {
    // A disabled consumer's keys stop verifying at once, as its API keys do.
    this.unsubscribe = bus.subscribe((event) => {
      if (event.kind === 'resync') this.cache.clear();
      else if (event.kind === 'consumer') for (const [id, key] of this.cache.entries()) if (key && key.consumerId === event.id) this.cache.delete(id);
    });
  }

  close(): void {
    this.unsubscribe();
  }

  async resolve(keyId: string): Promise<ResolvedSigningKey | undefined> {
    if (!keyId.startsWith(KEY_ID_PREFIX) || keyId.length > 64) return undefined;
    const cached = this.cache.get(keyId);
    if (cached !== undefined) return cached || undefined;
    const row = await findSigningKeyForVerification(this.db, keyId);
    const resolved = row ? await this.toKey(row) : undefined;
    this.cache.set(keyId, resolved ?? false, resolved ? {} : { ttl: 10_000 });
    return resolved;
  }

  private async toKey(row: SigningKeyRow): Promise<ResolvedSigningKey> {
    // A shared secret becomes a KeyObject with its own copy; the decrypted bytes are wiped at once.
    const key =
      row.algorithm === 'hmac-sha256'
        ? toKeyObject(await this.keyring.decrypt(row.secretSealed as string, sealContext(row.id)))
        : createPublicKey({ key: row.publicJwk as JsonWebKey, format: 'jwk' });
    return { keyId: row.id, algorithm: row.algorithm, key, consumerId: row.consumerId };
  }
}
