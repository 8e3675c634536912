import { hash } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import type { LRUCache } from 'lru-cache';
import { boundedCache } from '../lib/bounded-cache.js';
import { parseAllowList } from '../http/ip-ranges.js';
import type { IpRange } from '../http/ip-ranges.js';
import type { ChangeBus } from '../state/change-bus.js';
import type { Clock } from '../state/clock.js';
import type { Sql } from '../store/sql.js';
import type { StoredOAuthClient } from './client-model.js';
import { findClientForAuthentication } from './client-repository.js';
import { ACCESS_TOKEN_ALGORITHMS, CLOCK_SKEW_S } from './signing-keys.js';
import type { SigningKeys } from './signing-keys.js';
import type { TokenDenyList } from './token-deny-list.js';

/** Larger than any token we issue, small enough that no crypto or JSON parsing runs on a flood of junk. */
export const MAX_ACCESS_TOKEN_BYTES = 4096;

/** Three base64url segments: the only shape worth decoding (a JWE or anything else is refused first). */
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * Header members that would let a token choose its own verification key. They are never honoured
 * (RFC 8725 §3.10, RFC 7515 §4.1.2-4.1.6): a token carrying one is refused outright.
 */
const KEY_CARRYING_HEADERS = ['jku', 'x5u', 'x5c', 'jwk'] as const;

/** Why a token was refused. Internal only: every one of these gets the same public 401. */
export type TokenRefusal =
  | 'oversize'
  | 'malformed'
  | 'bad-header'
  | 'unknown-kid'
  | 'bad-signature'
  | 'bad-claims'
  | 'expired'
  | 'revoked'
  | 'client-revoked'
  | 'consumer-disabled';

/** What the pipeline needs about a verified token; prepared once per cache fill. */
export interface VerifiedToken {
  readonly jti: string;
  readonly clientId: string;
  readonly subject: string;
  readonly consumerId: string;
  readonly scopes: ReadonlySet<string>;
  readonly scopesHeader: string;
  /** The client's IP allow-list, parsed; undefined when any address may use its tokens. */
  readonly ipRanges: readonly IpRange[] | undefined;
  readonly allowedOrigins: readonly string[];
  /** ms */
  readonly expiresAt: number;
  /** RFC 9449: the token is bound to this DPoP key and is refused without a proof of it. */
  readonly jkt: string | undefined;
  readonly claims: JWTPayload;
}

export type TokenVerification =
  | { readonly ok: true; readonly token: VerifiedToken }
  | { readonly ok: false; readonly reason: TokenRefusal }
  | { readonly ok: false; readonly reason: 'unavailable'; readonly cause: unknown };

interface ClientEntry {
  readonly consumerId: string;
  readonly revoked: boolean;
  readonly consumerDisabled: boolean;
  readonly ipRanges: readonly IpRange[] | undefined;
  readonly allowedOrigins: readonly string[];
}

export interface TokenVerifierOptions {
  readonly db: Sql;
  readonly bus: ChangeBus;
  readonly clock: Clock;
  readonly keys: SigningKeys;
  readonly denyList: TokenDenyList;
  /** Read per verification: the issuer is known only once the listener has its port. */
  readonly issuer: () => string;
  readonly audience: () => string;
  readonly cacheSize?: number;
}

/** A JWT looks like this; an API key never does (it has no dots). */
export function looksLikeJwt(credential: string): boolean {
  return credential.startsWith('eyJ') && credential.includes('.');
}

/**
 * Verifies RFC 9068 access tokens locally: the signing keys are in memory, verified tokens are cached by
 * SHA-256 until `exp`, clients by id, and change events (revocation, client and consumer changes)
 * reach every instance through the bus. No store round trip in steady state (ARCHITECTURE.md).
 */
export class TokenVerifier {
  private readonly verified: LRUCache<string, VerifiedToken>;
  private readonly clients: LRUCache<string, ClientEntry>;
  private readonly unsubscribe: () => void;
  private epoch = 0;

  constructor(private readonly options: TokenVerifierOptions) {
    const max = options.cacheSize ?? 100_000;
    this.verified = boundedCache({ max });
    this.clients = boundedCache({ max, ttl: 60_000 });
    this.unsubscribe = options.bus.subscribe((event) => {
      this.epoch++;
      if (event.kind === 'resync' || event.kind === 'signing-key') {
        this.clients.clear();
      } else if (event.kind === 'oauth-client') {
        this.clients.delete(event.id);
      } else if (event.kind === 'consumer') {
        for (const [id, entry] of this.clients.entries()) if (entry.consumerId === event.id) this.clients.delete(id);
      }
    });
  }

  close(): void {
    this.unsubscribe();
  }

  /** Forgets every verified token, so the next verification of each checks the signature again (benchmarks). */
  forgetVerified(): void {
    this.verified.clear();
  }

  /** Synchronous on a cache hit (the steady state); a promise only for signature checks or a client lookup. */
  verify(token: string): TokenVerification | Promise<TokenVerification> {
    if (token.length > MAX_ACCESS_TOKEN_BYTES) return { ok: false, reason: 'oversize' };
    const tokenHash = hash('sha256', token, 'base64url'); // one-shot: half the cost of a Hash object
    const cached = this.verified.get(tokenHash);
    if (cached) return this.admit(cached);
    return this.verifySignature(token).then((result) => {
      if (!result.ok) return result;
      const ttl = result.token.expiresAt - this.options.clock();
      if (ttl > 0) this.verified.set(tokenHash, result.token, { ttl });
      return this.admit(result.token);
    });
  }

  /** The checks that can change while a token is cached: expiry, revocation, client and consumer state. */
  private admit(token: VerifiedToken): TokenVerification | Promise<TokenVerification> {
    if (this.options.clock() >= token.expiresAt + CLOCK_SKEW_S * 1000) return { ok: false, reason: 'expired' };
    if (this.options.denyList.has(token.jti)) return { ok: false, reason: 'revoked' };
    const client = this.clients.get(token.clientId);
    if (client) return this.withClient(token, client);
    return this.loadClient(token.clientId).then(
      (loaded) => (loaded ? this.withClient(token, loaded) : { ok: false, reason: 'client-revoked' }),
      (cause: unknown): TokenVerification => ({ ok: false, reason: 'unavailable', cause }),
    );
  }

  private withClient(token: VerifiedToken, client: ClientEntry): TokenVerification {
    if (client.revoked) return { ok: false, reason: 'client-revoked' };
    if (client.consumerDisabled) return { ok: false, reason: 'consumer-disabled' };
    return { ok: true, token: { ...token, consumerId: client.consumerId, ipRanges: client.ipRanges, allowedOrigins: client.allowedOrigins } };
  }

  private async loadClient(id: string): Promise<ClientEntry | undefined> {
    const epoch = this.epoch;
    const stored = await findClientForAuthentication(this.options.db, id);
    if (!stored) return undefined;
    const entry = toClientEntry(stored);
    if (epoch === this.epoch) this.clients.set(id, entry);
    return entry;
  }

  /**
   * The full check, with jose and an explicit algorithm allow-list (RFC 8725, RFC 9068 §4): header first
   * (typ, alg, no key-carrying members, kid a plain lookup), then signature, iss, aud, exp, nbf, iat.
   */
  private async verifySignature(token: string): Promise<TokenVerification> {
    if (!JWS_COMPACT.test(token)) return { ok: false, reason: 'malformed' };
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (KEY_CARRYING_HEADERS.some((name) => name in header)) return { ok: false, reason: 'bad-header' };
    if (typeof header.alg !== 'string' || !(ACCESS_TOKEN_ALGORITHMS as readonly string[]).includes(header.alg)) return { ok: false, reason: 'bad-header' };
    const keys = this.options.keys;
    let key = keys.verificationKey(header.kid);
    if (!key && typeof header.kid === 'string' && (await keys.reloadIfStale().catch(() => false))) key = keys.verificationKey(header.kid);
    if (!key) return { ok: false, reason: 'unknown-kid' };
    if (key.alg !== header.alg) return { ok: false, reason: 'bad-header' };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key.publicKey, {
        algorithms: [key.alg],
        typ: 'at+jwt', // RFC 9068 §4: refuses ID tokens and other JWTs signed with the same keys
        issuer: this.options.issuer(),
        audience: this.options.audience(),
        clockTolerance: CLOCK_SKEW_S,
        requiredClaims: ['iss', 'aud', 'sub', 'exp', 'iat', 'jti', 'client_id'],
        currentDate: new Date(this.options.clock()),
      }));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED') return { ok: false, reason: 'expired' };
      if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return { ok: false, reason: 'bad-signature' };
      return { ok: false, reason: 'bad-claims' };
    }
    const scope = typeof payload.scope === 'string' ? payload.scope : '';
    if (typeof payload.client_id !== 'string' || typeof payload.jti !== 'string') return { ok: false, reason: 'bad-claims' };
    const scopes = scope.split(' ').filter(Boolean);
    return {
      ok: true,
      token: {
        jti: payload.jti,
        clientId: payload.client_id,
        subject: payload.sub as string,
        consumerId: '',
        scopes: new Set(scopes),
        scopesHeader: scopes.join(' '),
        ipRanges: undefined,
        allowedOrigins: [],
        expiresAt: (payload.exp as number) * 1000,
        jkt: typeof (payload.cnf as { jkt?: unknown } | undefined)?.jkt === 'string' ? (payload.cnf as { jkt: string }).jkt : undefined,
        claims: payload,
      },
    };
  }
}

function toClientEntry(client: StoredOAuthClient): ClientEntry {
  return {
    consumerId: client.consumerId,
    revoked: client.revokedAt !== null,
    consumerDisabled: client.consumerDisabled,
    ipRanges: parseAllowList(client.allowedIps),
    allowedOrigins: client.allowedOrigins,
  };
}
