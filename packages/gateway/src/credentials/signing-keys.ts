import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import type { Keyring } from '../crypto/keyring.js';
import type { ChangeBus } from '../state/change-bus.js';
import type { Clock } from '../state/clock.js';
import type { Database, Sql } from '../store/sql.js';
import { appendAudit } from '../observe/audit.js';
import type { Actor } from './deps.js';
import { hasSigningKey, insertSigningKey, listSigningKeys } from './oauth-repository.js';

/** The algorithms access tokens are signed with, and the only ones the data plane accepts (RFC 8725 §3.1). */
export const ACCESS_TOKEN_ALGORITHMS = ['ES256', 'EdDSA'] as const;
export type AccessTokenAlgorithm = (typeof ACCESS_TOKEN_ALGORITHMS)[number];

/** No access token lives longer (oauth.accessTokenLifetime is capped at this). */
export const MAX_ACCESS_TOKEN_LIFETIME_MS = 86_400_000;
/** Clock skew tolerated on exp/nbf/iat, between us and the clients and resource servers. */
export const CLOCK_SKEW_S = 60;

export interface SigningKey {
  readonly kid: string;
  readonly alg: AccessTokenAlgorithm;
  readonly publicJwk: JWK;
  readonly publicKey: CryptoKey;
  readonly privateKey: CryptoKey;
  /** Published in the JWKS from creation, used for signing from here on (ms). */
  readonly signsFrom: number;
}

export interface SigningKeysOptions {
  readonly db: Database;
  readonly keyring: Keyring;
  readonly bus: ChangeBus;
  readonly clock: Clock;
  readonly algorithm: AccessTokenAlgorithm;
}

const context = (kid: string) => `signing-key:${kid}`;

async function generate(alg: AccessTokenAlgorithm, keyring: Keyring, sql: Sql, signsFrom: Date, now: Date): Promise<string> {
  const pair = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const publicJwk = await exportJWK(pair.publicKey);
  // The kid is the RFC 7638 thumbprint: stable, unique, and it reveals nothing but the public key.
  const kid = await calculateJwkThumbprint(publicJwk);
  const sealed = await keyring.encrypt(JSON.stringify(await exportJWK(pair.privateKey)), context(kid));
  await insertSigningKey(sql, { kid, alg, publicJwk: { ...publicJwk, kid, alg, use: 'sig' }, sealedPrivateJwk: sealed, signsFrom, createdAt: now });
  return kid;
}

/**
 * The authorization server's token signing keys, stored encrypted by the keyring (ARCHITECTURE.md,
 * secrets at rest) and held in memory at every instance. Rotation publishes the next key before it
 * signs, and keeps a retired key published until every token it signed has expired (CONTRACT §4).
 */
export class SigningKeys {
  private keys: readonly SigningKey[] = [];
  private readonly unsubscribe: () => void;
  private reloading: Promise<void> | undefined;
  private loadedAt = 0;

  private constructor(private readonly options: SigningKeysOptions) {
    this.unsubscribe = options.bus.subscribe((event) => {
      if (event.kind === 'signing-key' || event.kind === 'resync') void this.reload().catch(() => undefined);
    });
  }

  /** Loads the keys, creating the first one when there is none. */
  static async open(options: SigningKeysOptions): Promise<SigningKeys> {
    const keys = new SigningKeys(options);
    if (!(await hasSigningKey(options.db))) {
      const now = new Date(options.clock());
      await generate(options.algorithm, options.keyring, options.db, now, now);
    }
    await keys.reload();
    return keys;
  }

  close(): void {
    this.unsubscribe();
  }

  /** Reads every key from the store (after a change event, or when a kid is not known here). */
  reload(): Promise<void> {
    this.reloading ??= this.load().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private async load(): Promise<void> {
    const loaded: SigningKey[] = [];
    for (const row of await listSigningKeys(this.options.db)) {
      const { kid, publicJwk } = row;
      const alg = row.alg as AccessTokenAlgorithm;
      const privateJwk = JSON.parse((await this.options.keyring.decrypt(row.sealedPrivateJwk, context(kid))).toString('utf8')) as JWK;
      loaded.push({
        kid,
        alg,
        publicJwk,
        publicKey: (await importJWK(publicJwk, alg)) as CryptoKey,
        privateKey: (await importJWK(privateJwk, alg)) as CryptoKey,
        signsFrom: row.signsFrom.getTime(),
      });
    }
    this.keys = loaded;
    this.loadedAt = performance.now();
  }

  /**
   * A kid unknown here may be a key another instance just added while its change event was lost:
   * reload, but at most every 30 s, so made-up kids cannot turn into a flood of queries.
   */
  async reloadIfStale(): Promise<boolean> {
    if (performance.now() - this.loadedAt < 30_000) return false;
    await this.reload();
    return true;
  }

  /** The key that signs now: the newest one whose time has come. */
  current(now = this.options.clock()): SigningKey {
    let chosen: SigningKey | undefined;
    for (const key of this.keys) if (key.signsFrom <= now) chosen = key;
    return chosen ?? (this.keys[0] as SigningKey);
  }

  /**
   * The keys a verifier must know now: every key not yet signing (published ahead), the one signing,
   * and each retired key until the last token it could have signed has expired.
   */
  published(now = this.options.clock()): SigningKey[] {
    return this.keys.filter((key, i) => {
      const successor = this.keys[i + 1];
      return !successor || successor.signsFrom + MAX_ACCESS_TOKEN_LIFETIME_MS + CLOCK_SKEW_S * 1000 > now;
    });
  }

  /** The verification key for a kid: an opaque lookup among the published keys, never a fetch. */
  verificationKey(kid: unknown, now = this.options.clock()): SigningKey | undefined {
    if (typeof kid !== 'string') return undefined;
    return this.published(now).find((key) => key.kid === kid);
  }

  /** RFC 7517 JWK Set of the published public keys. */
  jwks(now = this.options.clock()): { keys: JWK[] } {
    return { keys: this.published(now).map((key) => key.publicJwk) };
  }

  /**
   * Adds the next key, published now and signing from `now + lead`, so verifiers that cache the JWKS
   * see it before the first token it signs. Audited in the same transaction; every instance reloads
   * through the change bus.
   */
  async rotate(leadMs: number, actor: Actor = 'system'): Promise<{ kid: string; signsFrom: Date }> {
    const now = this.options.clock();
    const signsFrom = new Date(now + leadMs);
    const kid = await this.options.bus.transaction(this.options.db, async (tx, publish) => {
      const created = await generate(this.options.algorithm, this.options.keyring, tx, signsFrom, new Date(now));
      await appendAudit(tx, { actor, action: 'signing-key.rotate', target: created, detail: { signsFrom: signsFrom.toISOString() } }, new Date(now));
      await publish({ kind: 'signing-key', id: created });
      return created;
    });
    await this.reload();
    return { kid, signsFrom };
  }
}
