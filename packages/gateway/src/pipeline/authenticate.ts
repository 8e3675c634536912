import type { IncomingMessage } from 'node:http';
import { parseCredential } from '@portcullis/protocol';
import type { KeyVerification, KeyVerifier } from '../credentials/verify-key.js';
import type { DpopVerifier } from '../credentials/dpop.js';
import { looksLikeJwt } from '../credentials/verify-token.js';
import type { TokenVerification, TokenVerifier, VerifiedToken } from '../credentials/verify-token.js';
import type { Logger } from '../observe/logger.js';
import type { SecurityEvents } from '../observe/security-events.js';
import type { Clock } from '../state/clock.js';
import type { RequestContext } from './context.js';
import type { Stage } from './data-plane.js';
import { problem } from '../http/problems.js';
import type { Problem } from '../http/problems.js';
import { INVALID_CREDENTIAL, MISSING_CREDENTIAL } from './refusals.js';
import type { AuthGuard } from './brute-force.js';

const AMBIGUOUS: Problem = problem('bad-request', 'Send one credential: Authorization or X-API-Key, not two different ones.');
const UNAVAILABLE: Problem = problem('unavailable');

const BEARER = /^Bearer +([\x21-\x7E]+) *$/i;
const DPOP = /^DPoP +([\x21-\x7E]+) *$/i;

/** The presented credential, from `Authorization: Bearer` or `X-API-Key` (CONTRACT §3). */
export function extractCredential(req: IncomingMessage): string | undefined | Problem {
  const authorization = req.headers.authorization;
  const apiKeyHeader = req.headers['x-api-key'];
  const fromBearer = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
  if (authorization !== undefined && fromBearer === undefined) return INVALID_CREDENTIAL; // another scheme, or garbage
  const fromHeader = typeof apiKeyHeader === 'string' ? apiKeyHeader.trim() : undefined;
  if (fromBearer !== undefined && fromHeader !== undefined && fromBearer !== fromHeader) return AMBIGUOUS;
  return fromBearer ?? fromHeader;
}

/** RFC 9745 Deprecation (a structured date) and RFC 8594 Sunset: the key works, but should be rotated. */
function ageHeaders(rotationDueAt: number, expiresAt: number): string[] {
  return ['deprecation', `@${Math.floor(rotationDueAt / 1000)}`, 'sunset', new Date(expiresAt).toUTCString()];
}

export interface AuthenticateOptions {
  readonly verifier: KeyVerifier;
  /** RFC 9068 access tokens from the authorization server (CONTRACT §4), DPoP-bound ones included (RFC 9449). */
  readonly tokens?: {
    readonly verifier: TokenVerifier;
    readonly dpop: DpopVerifier;
    /** The public origin (the issuer's) that DPoP proofs name in htu. */
    readonly origin: () => string;
  };
  readonly clock: Clock;
  /** Every refused credential is an `auth_failed` event (metrics, audit summary). */
  readonly events: SecurityEvents;
  readonly logger: Logger;
  /** Brute-force defence: blocked clients are refused before the lookup, failures counted after it. */
  readonly guard?: AuthGuard;
}

/** The id part of a well-formed credential, the subject of per-credential failure counts. */
function credentialIdOf(value: string): string | undefined {
  const parsed = parseCredential(value);
  return parsed.ok ? parsed.credential.id : undefined;
}

export function createAuthenticateStage(options: AuthenticateOptions): Stage {
  const { verifier, tokens, clock, events, logger, guard } = options;
  // Not async: a public route must not pay for a promise.
  return function authenticate(req: IncomingMessage, ctx: RequestContext): Problem | undefined | Promise<Problem | undefined> {
    // Auth schemes are case-insensitive (RFC 9110 §11.1): a cheap first-letter test keeps the regex off the Bearer path.
    const dpopToken = tokens && ((req.headers.authorization?.charCodeAt(0) ?? 0) | 32) === 100 /* d */ ? DPOP.exec(req.headers.authorization as string)?.[1] : undefined;
    const credential = dpopToken ?? extractCredential(req);
    if (credential === undefined) {
      events.emit({ kind: 'auth_failed', reason: 'missing', clientIp: ctx.clientIp });
      return MISSING_CREDENTIAL;
    }
    if (typeof credential !== 'string') {
      events.emit({ kind: 'auth_failed', reason: 'malformed', clientIp: ctx.clientIp });
      return credential;
    }
    const blocked = guard?.admit(ctx);
    if (blocked) return blocked;
    // A token has no id to count against before it verifies: its failures count against the address only.
    if (dpopToken) return guarded(verifyToken(dpopToken, req, ctx, true), ctx, undefined);
    if (tokens && looksLikeJwt(credential)) return guarded(verifyToken(credential, req, ctx, false), ctx, undefined);
    const result = verifier.verify(credential);
    return guarded(result instanceof Promise ? result.then((r) => settle(r, ctx)) : settle(result, ctx), ctx, credential);
  };

  /** Brute-force defence: a refused credential (API key or token) is counted, slowed, and past the limit blocked. */
  function guarded(settled: Problem | undefined | Promise<Problem | undefined>, ctx: RequestContext, key: string | undefined): Problem | undefined | Promise<Problem | undefined> {
    if (!guard) return settled;
    return settled instanceof Promise ? settled.then((refusal) => countFailure(refusal, ctx, key)) : countFailure(settled, ctx, key);
  }

  function countFailure(refusal: Problem | undefined, ctx: RequestContext, key: string | undefined): Problem | undefined | Promise<Problem> {
    if (refusal !== INVALID_CREDENTIAL) return refusal;
    return (guard as AuthGuard).refused(ctx, key === undefined ? undefined : credentialIdOf(key), refusal);
  }

  /** The one refusal for every bad credential, key or token; the reason goes to metrics and the debug log. */
  function refuse(result: { readonly reason: string; readonly cause?: unknown }, ctx: RequestContext): Problem {
    events.emit({ kind: 'auth_failed', reason: result.reason, clientIp: ctx.clientIp });
    if (result.reason === 'unavailable') {
      logger.error({ requestId: ctx.id, err: { message: (result.cause as Error)?.message } }, 'credential store unavailable: refusing (fail closed)');
      return UNAVAILABLE;
    }
    logger.debug({ requestId: ctx.id, reason: result.reason }, 'credential refused');
    return INVALID_CREDENTIAL;
  }

  function verifyToken(token: string, req: IncomingMessage, ctx: RequestContext, viaDpop: boolean): Problem | undefined | Promise<Problem | undefined> {
    const verified = (tokens as NonNullable<typeof tokens>).verifier.verify(token);
    return verified instanceof Promise ? verified.then((r) => bind(r, token, req, ctx, viaDpop)) : bind(verified, token, req, ctx, viaDpop);
  }

  /**
   * RFC 9449 §7: a DPoP-bound token only under the DPoP scheme with a valid proof of its key for this
   * very request (method, URL, token hash); a bearer token never under the DPoP scheme.
   */
  function bind(result: TokenVerification, token: string, req: IncomingMessage, ctx: RequestContext, viaDpop: boolean): Problem | undefined | Promise<Problem | undefined> {
    if (!result.ok) return refuse(result, ctx);
    const jkt = result.token.jkt;
    if (!jkt) return viaDpop ? refuse({ reason: 'dpop-unbound-token' }, ctx) : settleToken(result.token, ctx);
    const proof = req.headers.dpop;
    if (!viaDpop || typeof proof !== 'string') return refuse({ reason: 'dpop-proof-missing' }, ctx);
    const { dpop, origin } = tokens as NonNullable<typeof tokens>;
    return dpop
      .verify(proof, { method: req.method ?? 'GET', url: `${origin()}${ctx.path}`, accessToken: token, jkt })
      .then((checked) => (checked.ok ? settleToken(result.token, ctx) : refuse({ reason: `dpop-${checked.reason}` }, ctx)));
  }

  function settleToken(token: VerifiedToken, ctx: RequestContext): Problem | undefined {
    ctx.principal = {
      consumerId: token.consumerId,
      credentialId: token.clientId,
      credentialKind: 'oauth',
      scopes: token.scopes,
      scopesHeader: token.scopesHeader,
      ...(token.ipRanges ? { ipRanges: token.ipRanges } : {}),
      allowedOrigins: token.allowedOrigins,
    };
    return undefined;
  }

  /** Turns a verification into a refusal, or into the request's principal. */
  function settle(result: KeyVerification, ctx: RequestContext): Problem | undefined {
    if (!result.ok) return refuse(result, ctx);
    const key = result.key;
    const now = clock();
    ctx.principal = {
      consumerId: key.consumerId,
      credentialId: key.id,
      credentialKind: 'api-key',
      scopes: key.scopes,
      scopesHeader: key.scopesHeader,
      ipRanges: key.ipRanges,
      allowedOrigins: key.allowedOrigins,
      ...(now >= key.rotationDueAt ? { responseHeaders: ageHeaders(key.rotationDueAt, key.expiresAt) } : {}),
    };
    return undefined;
  }
}
