import { decodeJwt, importJWK, jwtVerify } from 'jose';
import type { Clock } from '../state/clock.js';
import type { Sql } from '../store/sql.js';
import type { StoredOAuthClient } from './client-model.js';
import { findClientForAuthentication } from './client-repository.js';
import { recordAssertion } from './oauth-repository.js';
import { CLOCK_SKEW_S } from './signing-keys.js';
import { DUMMY_HASH, hashSecret, hashesEqual } from './secret-hash.js';

/** What a client presented at the token, revocation or introspection endpoint (RFC 6749 §2.3, RFC 7523 §2.2). */
export type ClientCredentials =
  | { readonly method: 'client_secret_basic' | 'client_secret_post'; readonly clientId: string; readonly secret: string }
  | { readonly method: 'private_key_jwt'; readonly clientId: string | undefined; readonly assertion: string };

/** Why client authentication failed. Internal only: the client always gets the same invalid_client. */
export type ClientRefusal = 'unknown' | 'mismatch' | 'wrong-method' | 'revoked' | 'consumer-disabled' | 'bad-assertion' | 'replayed-assertion';

export type ClientAuthentication =
  | { readonly ok: true; readonly client: StoredOAuthClient }
  | { readonly ok: false; readonly reason: ClientRefusal; readonly clientId: string | undefined };

/** An assertion may not live longer than this: it bounds the replay store (RFC 7523 §3 item 4). */
const MAX_ASSERTION_LIFETIME_S = 300;

export interface ClientAuthenticationDeps {
  readonly db: Sql;
  readonly clock: Clock;
}

function usable(client: StoredOAuthClient): ClientAuthentication {
  if (client.revokedAt) return { ok: false, reason: 'revoked', clientId: client.id };
  if (client.consumerDisabled) return { ok: false, reason: 'consumer-disabled', clientId: client.id };
  return { ok: true, client };
}

/** client_secret_basic / client_secret_post: SHA-256 of the pcs_ secret, compared in constant time. */
async function bySecret(deps: ClientAuthenticationDeps, clientId: string, secret: string): Promise<ClientAuthentication> {
  const presented = hashSecret(secret);
  const client = await findClientForAuthentication(deps.db, clientId);
  // Compare against something on every path, so an unknown client id takes as long as a wrong secret.
  const current = hashesEqual(presented, client?.secretHash ?? DUMMY_HASH);
  const inGrace = (client?.previousSecretExpiresAt?.getTime() ?? 0) > deps.clock();
  const previous = hashesEqual(presented, (inGrace ? client?.previousSecretHash : undefined) ?? DUMMY_HASH);
  if (!client) return { ok: false, reason: 'unknown', clientId };
  if (client.authMethod !== 'client_secret') return { ok: false, reason: 'wrong-method', clientId };
  if (!current && !previous) return { ok: false, reason: 'mismatch', clientId };
  return usable(client);
}

/**
 * private_key_jwt (RFC 7523 §3): signed by the client's registered key with its registered algorithm,
 * iss = sub = client_id, aud = this server, short-lived, and each jti accepted once.
 */
async function byAssertion(deps: ClientAuthenticationDeps, claimedId: string | undefined, assertion: string, audiences: readonly string[]): Promise<ClientAuthentication> {
  let clientId: string | undefined;
  try {
    const claims = decodeJwt(assertion);
    clientId = typeof claims.sub === 'string' ? claims.sub : undefined;
  } catch {
    return { ok: false, reason: 'bad-assertion', clientId: claimedId };
  }
  if (!clientId || (claimedId !== undefined && claimedId !== clientId)) return { ok: false, reason: 'bad-assertion', clientId: claimedId };
  const client = await findClientForAuthentication(deps.db, clientId);
  if (!client) return { ok: false, reason: 'unknown', clientId };
  if (client.authMethod !== 'private_key_jwt' || !client.publicJwk?.alg) return { ok: false, reason: 'wrong-method', clientId };
  const now = deps.clock();
  let jti: string;
  let exp: number;
  try {
    const alg = client.publicJwk.alg;
    const { payload } = await jwtVerify(assertion, await importJWK(client.publicJwk, alg), {
      algorithms: [alg],
      issuer: clientId,
      subject: clientId,
      audience: [...audiences],
      requiredClaims: ['exp', 'jti'],
      clockTolerance: CLOCK_SKEW_S,
      currentDate: new Date(now),
    });
    jti = payload.jti as string;
    exp = payload.exp as number;
  } catch {
    return { ok: false, reason: 'bad-assertion', clientId };
  }
  if (exp * 1000 > now + (MAX_ASSERTION_LIFETIME_S + CLOCK_SKEW_S) * 1000 || jti.length > 200) return { ok: false, reason: 'bad-assertion', clientId };
  // One use per jti (RFC 7523 §3 item 7): the insert is the check, so two instances cannot both accept it.
  const fresh = await recordAssertion(deps.db, clientId, jti, new Date(exp * 1000), new Date(now - CLOCK_SKEW_S * 1000));
  if (!fresh) return { ok: false, reason: 'replayed-assertion', clientId };
  return usable(client);
}

/** Authenticates a client; `audiences` are the values an assertion's `aud` may name (issuer, endpoint URL). */
export function authenticateClient(deps: ClientAuthenticationDeps, credentials: ClientCredentials, audiences: readonly string[]): Promise<ClientAuthentication> {
  return credentials.method === 'private_key_jwt'
    ? byAssertion(deps, credentials.clientId, credentials.assertion, audiences)
    : bySecret(deps, credentials.clientId, credentials.secret);
}
