import type { JWK } from 'jose';

/** How an OAuth client proves who it is at the token endpoint (RFC 6749 §2.3, RFC 7523 §2.2). */
export type ClientAuthMethod = 'client_secret' | 'private_key_jwt';

/** An OAuth client: a credential of a consumer, like an API key, that obtains access tokens. */
export interface OAuthClient {
  readonly id: string;
  readonly consumerId: string;
  readonly authMethod: ClientAuthMethod;
  /** private_key_jwt: the client's public key; its `alg` is the one algorithm accepted from it. */
  readonly publicJwk: JWK | null;
  readonly scopes: readonly string[];
  readonly allowedIps: readonly string[];
  readonly allowedOrigins: readonly string[];
  /** authorization_code: the redirect URIs, compared exactly (RFC 9700 §4.1.1). */
  readonly redirectUris: readonly string[];
  /** RFC 9449: its tokens are bound to a key it proves possession of on every request. */
  readonly dpopBound: boolean;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
  /** After rotate-secret: the old secret works until then. */
  readonly previousSecretExpiresAt: Date | null;
}

/** A client with its secret hashes: only client authentication and the repository see this. */
export interface StoredOAuthClient extends OAuthClient {
  readonly secretHash: Buffer | null;
  readonly previousSecretHash: Buffer | null;
  readonly consumerDisabled: boolean;
}

/** The public view of a client, for the admin API and the CLI: never a secret or its hash. */
export function describeClient(client: OAuthClient) {
  return {
    client_id: client.id,
    consumerId: client.consumerId,
    tokenEndpointAuthMethod: client.authMethod === 'private_key_jwt' ? ('private_key_jwt' as const) : ('client_secret_basic' as const),
    scopes: client.scopes,
    allowedIps: client.allowedIps,
    allowedOrigins: client.allowedOrigins,
    redirectUris: client.redirectUris,
    dpopBound: client.dpopBound,
    status: client.revokedAt ? ('revoked' as const) : ('active' as const),
    createdAt: client.createdAt.toISOString(),
    revokedAt: client.revokedAt?.toISOString() ?? null,
    ...(client.publicJwk ? { jwk: client.publicJwk } : {}),
  };
}
