import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { randomBase62 } from '@portcullis/protocol';
import type { Clock } from '../state/clock.js';
import type { Database } from '../store/sql.js';
import { appendAudit } from '../observe/audit.js';
import type { Actor } from './deps.js';
import {
  findCodeForUpdate,
  findFamilyOfRefreshToken,
  findRefreshTokenForUpdate,
  insertAuthorizationRequest,
  insertCode,
  insertRefreshToken,
  insertTokenFamily,
  markCodeUsed,
  markFamilyRevoked,
  markRefreshTokenUsed,
  takeAuthorizationRequest,
} from './oauth-repository.js';
import type { FamilyRow } from './oauth-repository.js';
import { hashSecret } from './secret-hash.js';
import type { TokenDenyList } from './token-deny-list.js';

/**
 * authorization_code with PKCE (RFC 6749 §4.1, RFC 7636, S256 only) and rotating refresh tokens with
 * reuse detection (RFC 9700 §4.14.2). Codes and refresh tokens are stored only as SHA-256 hashes.
 */

const REQUEST_LIFETIME_MS = 10 * 60_000;
const CODE_LIFETIME_MS = 60_000;
export const REFRESH_TOKEN_LIFETIME_MS = 30 * 86_400_000;
/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export interface AuthorizationRequest {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly state: string | undefined;
  readonly codeChallenge: string;
}

/** An authorization: who (subject) allowed which client what (scopes); every refresh token descends from it. */
export interface TokenFamily {
  readonly id: string;
  readonly clientId: string;
  readonly subject: string;
  readonly scopes: readonly string[];
}

export interface FlowDeps {
  readonly db: Database;
  readonly clock: Clock;
  readonly denyList: TokenDenyList;
}

const opaque = () => randomBytes(32).toString('base64url');

/** Remembers a validated /oauth/authorize request while the user logs in; returns its id for the login page. */
export async function startAuthorization(deps: FlowDeps, request: AuthorizationRequest): Promise<string> {
  const id = `azr_${randomBase62(24)}`;
  await insertAuthorizationRequest(deps.db, { id, ...request, expiresAt: new Date(deps.clock() + REQUEST_LIFETIME_MS) });
  return id;
}

/**
 * The login page's verdict on a pending request (used once). Approved: a code for `subject`.
 * Either way the answer says where to send the user back.
 */
export async function finishAuthorization(
  deps: FlowDeps,
  requestId: string,
  subject: string | undefined,
  actor: Actor = 'system',
): Promise<{ redirectUri: string; state: string | undefined; code?: string } | undefined> {
  const now = deps.clock();
  return deps.db.transaction(async (tx) => {
    const request = await takeAuthorizationRequest(tx, requestId, new Date(now));
    if (!request) return undefined;
    const back = { redirectUri: request.redirectUri, state: request.state };
    // The verdict is audited with the login page's actor, in the same transaction (the code itself never is).
    const detail = { clientId: request.clientId, scopes: request.scopes, ...(subject === undefined ? {} : { subject }) };
    await appendAudit(tx, { actor, action: subject === undefined ? 'authorization.deny' : 'authorization.approve', target: requestId, detail }, new Date(now));
    if (subject === undefined) return back;
    const familyId = `fam_${randomBase62(20)}`;
    await insertTokenFamily(tx, { id: familyId, clientId: request.clientId, subject, scopes: request.scopes, createdAt: new Date(now) });
    const code = opaque();
    await insertCode(tx, { hash: hashSecret(code), familyId, redirectUri: back.redirectUri, codeChallenge: request.codeChallenge, expiresAt: new Date(now + CODE_LIFETIME_MS) });
    return { ...back, code };
  });
}

function toFamily(row: FamilyRow): TokenFamily {
  return { id: row.familyId, clientId: row.clientId, subject: row.subject, scopes: row.scopes };
}

/** PKCE S256 (RFC 7636 §4.6): BASE64URL(SHA256(verifier)) equals the challenge, compared in constant time. */
function pkceMatches(verifier: string, challenge: string): boolean {
  if (!CODE_VERIFIER.test(verifier)) return false;
  const computed = Buffer.from(createHash('sha256').update(verifier).digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

type Outcome = { readonly family: TokenFamily } | { readonly reuse: string } | undefined;

/** Revokes the family on reuse; the family on success; undefined otherwise. */
async function settle(deps: FlowDeps, outcome: Outcome, actor: string): Promise<TokenFamily | undefined> {
  if (outcome && 'reuse' in outcome) {
    await revokeFamily(deps, outcome.reuse, actor);
    return undefined;
  }
  return outcome?.family;
}

/**
 * Exchanges a code once. A second use means the code leaked: the whole authorization is revoked,
 * tokens already issued from it included (RFC 6749 §4.1.2).
 */
export async function redeemCode(
  deps: FlowDeps,
  input: { code: string; clientId: string; redirectUri: string | undefined; codeVerifier: string | undefined },
): Promise<TokenFamily | undefined> {
  const now = deps.clock();
  const hash = hashSecret(input.code);
  const outcome = await deps.db.transaction(async (tx): Promise<Outcome> => {
    const row = await findCodeForUpdate(tx, hash);
    if (!row || row.clientId !== input.clientId) return undefined;
    if (row.used || row.familyRevoked) return { reuse: row.familyId };
    await markCodeUsed(tx, hash, new Date(now));
    if (row.expiresAt <= now || row.redirectUri !== input.redirectUri) return undefined;
    if (input.codeVerifier === undefined || !pkceMatches(input.codeVerifier, row.codeChallenge)) return undefined;
    return { family: toFamily(row) };
  });
  return settle(deps, outcome, input.clientId);
}

/** Stores a new refresh token in the family, with the access token issued beside it (for revocation). */
export async function issueRefreshToken(deps: FlowDeps, familyId: string, access: { jti: string; expiresAt: number }): Promise<string> {
  const token = opaque();
  await insertRefreshToken(deps.db, {
    hash: hashSecret(token),
    familyId,
    expiresAt: new Date(deps.clock() + REFRESH_TOKEN_LIFETIME_MS),
    accessJti: access.jti,
    accessExpiresAt: new Date(access.expiresAt),
  });
  return token;
}

/**
 * Uses a refresh token once (it rotates). Presenting one already used means two parties hold it: the
 * family is revoked, every refresh and access token in it (RFC 9700 §4.14.2).
 */
export async function useRefreshToken(deps: FlowDeps, token: string, clientId: string): Promise<TokenFamily | undefined> {
  const now = deps.clock();
  const hash = hashSecret(token);
  const outcome = await deps.db.transaction(async (tx): Promise<Outcome> => {
    const row = await findRefreshTokenForUpdate(tx, hash);
    if (!row || row.clientId !== clientId || row.familyRevoked) return undefined;
    if (row.used) return { reuse: row.familyId };
    if (row.expiresAt <= now) return undefined;
    await markRefreshTokenUsed(tx, hash, new Date(now));
    return { family: toFamily(row) };
  });
  return settle(deps, outcome, clientId);
}

/** The family a refresh token belongs to, if it is the caller's (for RFC 7009 revocation). */
export async function familyOfRefreshToken(deps: FlowDeps, token: string): Promise<{ id: string; clientId: string } | undefined> {
  return findFamilyOfRefreshToken(deps.db, hashSecret(token));
}

/** Ends an authorization: its refresh tokens stop at once, its live access tokens go on the deny-list. */
export async function revokeFamily(deps: FlowDeps, familyId: string, actor: string): Promise<void> {
  const live = await deps.db.transaction((tx) => markFamilyRevoked(tx, familyId, new Date(deps.clock())));
  for (const token of live) await deps.denyList.revoke(actor, token.jti, token.clientId, token.expiresAt);
}
