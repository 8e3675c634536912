import { createServer } from 'node:https';
import { webcrypto } from 'node:crypto';
import Provider from 'oidc-provider';
import { testCertificates } from './tls-server.js';

export interface OidcServer {
  issuer: string;
  ca: string;
  /** Token requests the provider received, by client id. */
  tokenRequests: string[];
  /** Introspects a token with the provider itself, as a resource server would. */
  introspect(token: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export interface OidcClient {
  client_id: string;
  client_secret?: string;
  token_endpoint_auth_method: 'client_secret_basic' | 'private_key_jwt';
  jwks?: { keys: webcrypto.JsonWebKey[] };
}

/**
 * An independent OAuth 2.0 server (panva's oidc-provider) over HTTPS with the test CA: the
 * client credentials grant enabled, DPoP on (its default), short-lived access tokens.
 */
export async function startOidcProvider(clients: OidcClient[], options: { tokenLifetime?: number } = {}): Promise<OidcServer> {
  const tls = await testCertificates();
  const server = createServer({ cert: tls.cert, key: tls.key });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  const signing = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const providerKey = { ...(await webcrypto.subtle.exportKey('jwk', signing.privateKey)), kid: 'provider-1', alg: 'ES256', use: 'sig' };
  // The provider signs with ES256 only, so clients must not ask for its RS256 default.
  const algorithms = { id_token_signed_response_alg: 'ES256', introspection_signed_response_alg: 'ES256' } as const;
  const provider = new Provider(issuer, {
    jwks: { keys: [providerKey as never] },
    clients: clients.map((c) => ({ ...algorithms, ...c, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], scope: 'api:read' })),
    scopes: ['api:read'],
    features: { clientCredentials: { enabled: true }, introspection: { enabled: true }, devInteractions: { enabled: false } },
    ttl: { ClientCredentials: options.tokenLifetime ?? 60 },
  });
  const tokenRequests: string[] = [];
  provider.on('grant.success', (ctx: { oidc: { client?: { clientId: string } } }) => tokenRequests.push(ctx.oidc.client?.clientId ?? '?'));
  server.on('request', provider.callback());
  const introspector = clients.find((c) => c.client_secret);
  return {
    issuer,
    ca: tls.ca,
    tokenRequests,
    async introspect(token) {
      const response = await fetch(`${issuer}/token/introspection`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${introspector!.client_id}:${introspector!.client_secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ token }),
        // @ts-expect-error Node's fetch takes undici's dispatcher option
        dispatcher: await trustingDispatcher(tls.ca),
      });
      return (await response.json()) as Record<string, unknown>;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function trustingDispatcher(ca: string) {
  const { Agent } = await import('undici');
  return new Agent({ connect: { ca } });
}
