import * as oauth from 'oauth4webapi';
import { webcrypto } from 'node:crypto';
import { AuthError, ClientError } from '../errors.js';
import { loadSecret, requireSecret } from '../credentials/secret-source.js';
import type { SecretInput } from '../credentials/secret-source.js';
import { requireHttpsUrl, requireNonEmpty } from './strategy.js';
import type { AuthRuntime } from './strategy.js';

/** How the client proves itself to the token endpoint, and where that endpoint is. */
export interface OAuthClientOptions {
  /** The token endpoint. Either this or `issuer` (then read from RFC 8414 / OIDC discovery metadata). */
  tokenUrl?: string;
  /** The authorization server's issuer identifier; its metadata also says whether it offers DPoP. */
  issuer?: string;
  /** Typed to accept `process.env.X` as it is: an unset value fails at construction, naming the option. */
  clientId: string | undefined;
  /** `client_secret_basic` (RFC 6749 §2.3.1). */
  clientSecret?: SecretInput;
  /** `private_key_jwt` (RFC 7523): a WebCrypto private key, with the `kid` the server knows it by. */
  privateKey?: webcrypto.CryptoKey | { key: webcrypto.CryptoKey; kid?: string };
  /**
   * DPoP (RFC 9449): `'auto'` (default) uses it when the server's metadata lists
   * `dpop_signing_alg_values_supported`; `true` always; `false` never.
   */
  dpop?: boolean | 'auto';
}

export interface OAuthClient {
  readonly clientId: string;
  readonly endpoints: readonly URL[];
  /** The server, the client and its authentication, DPoP handle: resolved once, on first use. */
  session(runtime: AuthRuntime): Promise<OAuthSession>;
}

export interface OAuthSession {
  readonly as: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly clientAuth: oauth.ClientAuth;
  readonly dpop: oauth.DPoPHandle | undefined;
  readonly options: oauth.TokenEndpointRequestOptions;
}

export function oauthClient(options: OAuthClientOptions, strategy: string): OAuthClient {
  const clientId = requireNonEmpty(options?.clientId, `auth.${strategy}: clientId`, "'my-service'");
  if (options.tokenUrl === undefined && options.issuer === undefined) {
    throw new TypeError(`auth.${strategy}: give tokenUrl (e.g. "https://auth.example.com/oauth/token") or issuer.`);
  }
  const tokenUrl = options.tokenUrl === undefined ? undefined : requireHttpsUrl(options.tokenUrl, `auth.${strategy}: tokenUrl`);
  const issuer = options.issuer === undefined ? undefined : requireHttpsUrl(options.issuer, `auth.${strategy}: issuer`);
  if ((options.clientSecret === undefined) === (options.privateKey === undefined)) {
    throw new TypeError(`auth.${strategy}: give exactly one of clientSecret (client_secret_basic) or privateKey (private_key_jwt).`);
  }
  const secret = options.clientSecret === undefined ? undefined : requireSecret(options.clientSecret, `auth.${strategy}: clientSecret`);
  const endpoints = [tokenUrl, issuer].filter((u): u is URL => u !== undefined);
  let pending: Promise<OAuthSession> | undefined;

  const resolve = async (runtime: AuthRuntime): Promise<OAuthSession> => {
    const fetchOption = { [oauth.customFetch]: runtime.fetch as typeof fetch };
    const discovered = issuer ? await discover(issuer, fetchOption) : { issuer: tokenUrl!.origin };
    const as: oauth.AuthorizationServer = tokenUrl ? { ...discovered, token_endpoint: tokenUrl.href } : discovered;
    const client: oauth.Client = { client_id: clientId };
    const clientAuth = secret
      ? oauth.ClientSecretBasic(await loadSecret(secret, runtime.remember))
      : oauth.PrivateKeyJwt(options.privateKey as webcrypto.CryptoKey);
    const offered = (as.dpop_signing_alg_values_supported?.length ?? 0) > 0;
    const useDpop = options.dpop === true || ((options.dpop ?? 'auto') === 'auto' && offered);
    const dpop = useDpop ? oauth.DPoP(client, await dpopKeyPair()) : undefined;
    return { as, client, clientAuth, dpop, options: { ...fetchOption, ...(dpop ? { DPoP: dpop } : {}) } };
  };

  return {
    clientId,
    endpoints,
    session(runtime) {
      pending ??= resolve(runtime).catch((error: unknown) => {
        pending = undefined;
        throw error;
      });
      return pending;
    },
  };
}

/** A fresh, non-extractable P-256 key pair per client: the proof key never leaves this process. */
async function dpopKeyPair(): Promise<Parameters<typeof oauth.DPoP>[1]> {
  return (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as Parameters<typeof oauth.DPoP>[1];
}

async function discover(issuer: URL, options: oauth.DiscoveryRequestOptions): Promise<oauth.AuthorizationServer> {
  const response = await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' });
  if (response.status === 404) {
    return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oidc' }));
  }
  return oauth.processDiscoveryResponse(issuer, response);
}

/**
 * Runs a token request; retries once when a DPoP server asks for a nonce (RFC 9449 §8). An OAuth
 * error becomes an AuthError naming the endpoint's host and the OAuth error code, never its
 * description (which may echo what was sent).
 */
export async function tokenRequest(session: OAuthSession, run: () => Promise<oauth.TokenEndpointResponse>): Promise<oauth.TokenEndpointResponse> {
  try {
    try {
      return await run();
    } catch (error) {
      if (session.dpop && oauth.isDPoPNonceError(error)) return await run();
      throw error;
    }
  } catch (error) {
    if (error instanceof ClientError) throw error;
    const host = new URL(session.as.token_endpoint ?? session.as.issuer).host;
    if (error instanceof oauth.ResponseBodyError) {
      throw new AuthError('token_request_failed', `The token endpoint ${host} refused the request (${error.status} ${error.error}).`, { cause: error });
    }
    if (error instanceof oauth.WWWAuthenticateChallengeError) {
      const code = error.cause[0]?.parameters.error ?? error.cause[0]?.scheme ?? 'unauthorized';
      throw new AuthError('token_request_failed', `The token endpoint ${host} refused the request (${error.status} ${code}).`, { cause: error });
    }
    throw new AuthError('token_request_failed', `The token response from ${host} is not usable.`, { cause: error });
  }
}

/** The headers that present `token` for one request: `Bearer`, or `DPoP` with a fresh proof bound to it. */
export async function presentToken(session: OAuthSession | undefined, token: string, tokenType: string, method: string, url: URL): Promise<Record<string, string>> {
  if (!session?.dpop || tokenType.toLowerCase() !== 'dpop') return { authorization: `Bearer ${token}` };
  // oauth4webapi builds the proof (with `ath`, RFC 9449 §4.2) for a resource request; we capture its
  // headers instead of letting it send, because the request itself goes through our pipeline.
  let captured: Headers | undefined;
  const capture = (async (_url: string, init: RequestInit) => {
    captured = new Headers(init.headers);
    return new Response(null, { status: 204 });
  }) as typeof fetch;
  await oauth.protectedResourceRequest(token, method, url, new Headers(), null, { DPoP: session.dpop, [oauth.customFetch]: capture });
  return { authorization: captured?.get('authorization') ?? `DPoP ${token}`, dpop: captured?.get('dpop') ?? '' };
}
