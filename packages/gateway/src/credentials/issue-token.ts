import { randomBase62 } from '@portcullis/protocol';
import { SignJWT } from 'jose';
import type { SigningKeys } from './signing-keys.js';

export interface AccessTokenRequest {
  readonly issuer: string;
  /** The resource the token is for (RFC 9068 §3 `aud`). */
  readonly audience: string;
  readonly lifetimeMs: number;
  readonly clientId: string;
  /** The client itself for client_credentials (RFC 9068 §2.2), the user for authorization_code. */
  readonly subject: string;
  readonly scopes: readonly string[];
  readonly now: number;
  /** RFC 9449 §6: the thumbprint of the DPoP key the token is bound to (cnf.jkt). */
  readonly jkt?: string;
}

export interface IssuedAccessToken {
  readonly accessToken: string;
  readonly jti: string;
  /** Seconds. */
  readonly expiresIn: number;
  readonly expiresAt: number;
}

/** An RFC 9068 JWT access token, signed with the current key (its kid names it in the JWKS). */
export async function issueAccessToken(keys: SigningKeys, request: AccessTokenRequest): Promise<IssuedAccessToken> {
  const key = keys.current(request.now);
  const iat = Math.floor(request.now / 1000);
  const expiresIn = Math.floor(request.lifetimeMs / 1000);
  const jti = randomBase62(24);
  const accessToken = await new SignJWT({ client_id: request.clientId, scope: request.scopes.join(' '), ...(request.jkt ? { cnf: { jkt: request.jkt } } : {}) })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
    .setIssuer(request.issuer)
    .setAudience(request.audience)
    .setSubject(request.subject)
    .setJti(jti)
    .setIssuedAt(iat)
    .setExpirationTime(iat + expiresIn)
    .sign(key.privateKey);
  return { accessToken, jti, expiresIn, expiresAt: (iat + expiresIn) * 1000 };
}
