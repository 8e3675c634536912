import { hash } from 'node:crypto';
import { EmbeddedJWK, calculateJwkThumbprint, decodeProtectedHeader, jwtVerify } from 'jose';
import type { JWK } from 'jose';
import { boundedCache } from '../lib/bounded-cache.js';
import type { Clock } from '../state/clock.js';
import { CLIENT_ASSERTION_ALGORITHMS } from './clients.js';
import { CLOCK_SKEW_S } from './signing-keys.js';

/** A proof is fresh for this long after its iat (RFC 9449 §11.1); its jti is remembered that long. */
const PROOF_WINDOW_S = 300;
const MAX_PROOF_BYTES = 4096;

export type DpopRefusal = 'malformed' | 'bad-header' | 'bad-signature' | 'wrong-request' | 'wrong-token' | 'replayed' | 'wrong-key';

export type DpopVerification = { readonly ok: true; readonly jkt: string } | { readonly ok: false; readonly reason: DpopRefusal };

export interface DpopRequest {
  readonly method: string;
  /** The request URL without query and fragment (RFC 9449 §4.3 htu). */
  readonly url: string;
  /** On a resource request: the access token, whose hash the proof must carry (ath). */
  readonly accessToken?: string;
  /** The key the access token is bound to (cnf.jkt), when there is one. */
  readonly jkt?: string;
}

/**
 * DPoP proofs (RFC 9449 §4.3): here the embedded `jwk` is the point, the proof shows possession of
 * that key; the key must be public and asymmetric, and the token it is used with must be bound to it.
 * Used jti values are remembered per instance for the proof window.
 */
export class DpopVerifier {
  private readonly seen = boundedCache<string, true>({ max: 100_000, ttl: (PROOF_WINDOW_S + CLOCK_SKEW_S) * 1000 });

  constructor(private readonly clock: Clock) {}

  async verify(proof: string, request: DpopRequest): Promise<DpopVerification> {
    if (proof.length > MAX_PROOF_BYTES) return { ok: false, reason: 'malformed' };
    let header;
    try {
      header = decodeProtectedHeader(proof);
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    const jwk = header.jwk as JWK | undefined;
    if (!jwk || jwk.d !== undefined || jwk.k !== undefined || header.jku || header.x5u || header.x5c) return { ok: false, reason: 'bad-header' };
    let payload;
    try {
      ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt',
        algorithms: [...CLIENT_ASSERTION_ALGORITHMS],
        maxTokenAge: PROOF_WINDOW_S,
        clockTolerance: CLOCK_SKEW_S,
        requiredClaims: ['iat', 'jti', 'htm', 'htu'],
        currentDate: new Date(this.clock()),
      }));
    } catch {
      return { ok: false, reason: 'bad-signature' };
    }
    if (payload.htm !== request.method || typeof payload.htu !== 'string' || stripUrl(payload.htu) !== request.url) return { ok: false, reason: 'wrong-request' };
    if (request.accessToken !== undefined && payload.ath !== hash('sha256', request.accessToken, 'base64url')) return { ok: false, reason: 'wrong-token' };
    const jkt = await calculateJwkThumbprint(jwk);
    if (request.jkt !== undefined && request.jkt !== jkt) return { ok: false, reason: 'wrong-key' };
    const key = `${jkt} ${String(payload.jti)}`;
    if (this.seen.has(key)) return { ok: false, reason: 'replayed' };
    this.seen.set(key, true);
    return { ok: true, jkt };
  }
}

/** htu is compared without query and fragment (RFC 9449 §4.3 item 9). */
function stripUrl(text: string): string | undefined {
  try {
    const url = new URL(text);
    return `${url.origin}${url.pathname}`;
  } catch {
    return undefined;
  }
}
