import { parseCredential } from '@portcullis/protocol';
import type { LRUCache } from 'lru-cache';
import { boundedCache } from '../lib/bounded-cache.js';
import { parseAllowList } from '../http/ip-ranges.js';
import type { ChangeBus } from '../state/change-bus.js';
import type { Clock } from '../state/clock.js';
import type { Sql } from '../store/sql.js';
import { effectiveExpiry } from './model.js';
import type { KeyAgePolicy, StoredApiKey } from './model.js';
import { findKeyForVerification } from './repository.js';
import { DUMMY_HASH, digestMatches, digestSecret } from './secret-hash.js';

/** Why a key was refused. Internal only: every one of these gets the same public 401. */
export type KeyRefusal =
  | 'malformed'
  | 'checksum'
  | 'wrong-kind'
  | 'unknown'
  | 'mismatch'
  | 'expired'
  | 'revoked'
  | 'rotated-out'
  | 'consumer-disabled';

export type KeyVerification =
  | { readonly ok: true; readonly key: VerifiedKey }
  | { readonly ok: false; readonly reason: KeyRefusal }
  /** The store could not be asked: fail closed with 503, never let the request through. */
  | { readonly ok: false; readonly reason: 'unavailable'; readonly cause: unknown };

/** What the pipeline needs about a verified key; prepared once per cache fill, not per request. */
export interface VerifiedKey {
  readonly id: string;
  readonly consumerId: string;
  readonly scopes: ReadonlySet<string>;
  /** The scopes as sent upstream in X-Portcullis-Scopes, joined once. */
  readonly scopesHeader: string;
  readonly allowedIps: readonly string[];
  /** allowedIps parsed once, for the authorize stage; undefined when any address may use the key. */
  readonly ipRanges: ReturnType<typeof parseAllowList>;
  readonly allowedOrigins: readonly string[];
  readonly createdAt: number;
  /** Past this instant the key is refused. */
  readonly expiresAt: number;
  /** From this instant the key is flagged for rotation (Deprecation header). */
  readonly rotationDueAt: number;
}

interface CacheEntry {
  readonly hash: Buffer;
  readonly key: VerifiedKey;
  readonly revoked: boolean;
  readonly rotated: boolean;
  readonly consumerDisabled: boolean;
}

export interface KeyVerifierOptions {
  readonly db: Sql;
  readonly bus: ChangeBus;
  readonly clock: Clock;
  readonly policy: KeyAgePolicy;
  /** Bounded: an attacker can present any number of distinct key ids. */
  readonly cacheSize?: number;
  /** How long a cached key may be used without re-reading the store, if no change event arrives. */
  readonly positiveTtlMs?: number;
  /** Unknown ids are remembered briefly so a flood of made-up keys does not become a flood of queries. */
  readonly negativeTtlMs?: number;
}

/**
 * Verifies API keys with no store round trip in steady state: records are cached by key id and
 * dropped when the change bus says the key or its consumer changed (ARCHITECTURE.md, hot-path rules).
 * Every path hashes the presented value and compares in constant time, so refusals take alike.
 */
export class KeyVerifier {
  private readonly cache: LRUCache<string, CacheEntry>;
  private readonly unknown: LRUCache<string, true>;
  private readonly pending = new Map<string, Promise<StoredApiKey | undefined>>();
  private readonly unsubscribe: () => void;
  /** Bumped on every change event: a load that started before an event must not cache its stale result. */
  private epoch = 0;

  constructor(private readonly options: KeyVerifierOptions) {
    // The TTL is a backstop only: change events invalidate at once; a lost event is stale for a minute at most.
    this.cache = boundedCache({ max: options.cacheSize ?? 100_000, ttl: options.positiveTtlMs ?? 60_000 });
    this.unknown = boundedCache({ max: options.cacheSize ?? 100_000, ttl: options.negativeTtlMs ?? 30_000 });
    this.unsubscribe = options.bus.subscribe((event) => {
      if (event.kind === 'keyring') return;
      this.epoch++;
      if (event.kind === 'resync') {
        this.cache.clear();
        this.unknown.clear();
      } else if (event.kind === 'api-key') {
        this.cache.delete(event.id);
        this.unknown.delete(event.id);
      } else if (event.kind === 'consumer') {
        for (const [id, entry] of this.cache.entries()) if (entry.key.consumerId === event.id) this.cache.delete(id);
      }
    });
  }

  close(): void {
    this.unsubscribe();
  }

  /** Drops everything cached (e.g. after the change bus reconnects and events may have been missed). */
  clear(): void {
    this.epoch++;
    this.cache.clear();
    this.unknown.clear();
  }

  /**
   * Synchronous when the answer is in memory (the steady state), a promise only when the store must be
   * asked: the hot path allocates no promise it does not need.
   */
  verify(value: string): KeyVerification | Promise<KeyVerification> {
    const presented = digestSecret(value);
    const parsed = parseCredential(value);
    if (!parsed.ok || parsed.credential.kind !== 'apiKey') {
      digestMatches(presented, DUMMY_HASH);
      return { ok: false, reason: parsed.ok ? 'wrong-kind' : parsed.reason };
    }
    const id = parsed.credential.id;
    const entry = this.cache.get(id);
    if (entry) return this.check(presented, entry);
    if (this.unknown.has(id)) return this.refuseUnknown(presented);
    return this.load(id).then(
      (loaded) => (loaded ? this.check(presented, loaded) : this.refuseUnknown(presented)),
      (cause: unknown): KeyVerification => ({ ok: false, reason: 'unavailable', cause }),
    );
  }

  private refuseUnknown(presented: string): KeyVerification {
    digestMatches(presented, DUMMY_HASH);
    return { ok: false, reason: 'unknown' };
  }

  private check(presented: string, entry: CacheEntry): KeyVerification {
    if (!digestMatches(presented, entry.hash)) return { ok: false, reason: 'mismatch' };
    if (entry.revoked) return { ok: false, reason: 'revoked' };
    if (entry.consumerDisabled) return { ok: false, reason: 'consumer-disabled' };
    if (this.options.clock() >= entry.key.expiresAt) return { ok: false, reason: entry.rotated ? 'rotated-out' : 'expired' };
    return { ok: true, key: entry.key };
  }

  private async load(id: string): Promise<CacheEntry | undefined> {
    // Concurrent misses for one id share a single query.
    const epoch = this.epoch;
    let query = this.pending.get(id);
    if (!query) {
      query = findKeyForVerification(this.options.db, id).finally(() => this.pending.delete(id));
      this.pending.set(id, query);
    }
    const stored = await query;
    const current = epoch === this.epoch;
    if (!stored) {
      if (current) this.unknown.set(id, true);
      return undefined;
    }
    const entry = toEntry(stored, this.options.policy);
    if (current) this.cache.set(id, entry);
    return entry;
  }
}

function toEntry(stored: StoredApiKey, policy: KeyAgePolicy): CacheEntry {
  const createdAt = stored.createdAt.getTime();
  return {
    hash: stored.secretHash,
    revoked: stored.revokedAt !== null,
    rotated: stored.rotatedTo !== null,
    consumerDisabled: stored.consumerDisabled,
    key: {
      id: stored.id,
      consumerId: stored.consumerId,
      scopes: new Set(stored.scopes),
      scopesHeader: stored.scopes.join(' '),
      allowedIps: stored.allowedIps,
      ipRanges: parseAllowList(stored.allowedIps),
      allowedOrigins: stored.allowedOrigins,
      createdAt,
      expiresAt: effectiveExpiry(stored, policy),
      rotationDueAt: createdAt + policy.warnAge,
    },
  };
}
