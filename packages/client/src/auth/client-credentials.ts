import * as oauth from 'oauth4webapi';
import { oauthClient, presentToken, tokenRequest } from './oauth-server.js';
import type { OAuthClientOptions, OAuthSession } from './oauth-server.js';
import type { AuthFactory } from './strategy.js';
import { TokenManager } from './token-manager.js';

export interface ClientCredentialsOptions extends OAuthClientOptions {
  /** Scopes to request, as a list or a space-separated string. */
  scope?: string | readonly string[];
  /** Extra token request parameters, e.g. `{ resource: 'https://api.example.com' }` (RFC 8707). */
  parameters?: Readonly<Record<string, string>>;
}

/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4) through oauth4webapi: `client_secret_basic` or
 * `private_key_jwt`, DPoP when the server offers it; the token is refreshed ahead of expiry.
 *
 * @example
 * auth.clientCredentials({ tokenUrl: 'https://auth.example.com/oauth/token', clientId: 'billing', clientSecret: fromEnv('BILLING_SECRET'), scope: ['invoices:read'] })
 */
export function clientCredentials(options: ClientCredentialsOptions): AuthFactory {
  const oauthOptions = oauthClient(options, 'clientCredentials');
  const scope = Array.isArray(options.scope) ? options.scope.join(' ') : (options.scope as string | undefined);
  const parameters = { ...(scope ? { scope } : {}), ...options.parameters };
  return {
    kind: 'clientCredentials',
    endpoints: oauthOptions.endpoints,
    create(runtime) {
      let session: OAuthSession | undefined;
      const tokens = new TokenManager('clientCredentials', runtime, async () => {
        session = await oauthOptions.session(runtime);
        const s = session;
        const response = await tokenRequest(s, async () =>
          oauth.processClientCredentialsResponse(s.as, s.client, await oauth.clientCredentialsGrantRequest(s.as, s.client, s.clientAuth, parameters, s.options)),
        );
        return { accessToken: response.access_token, tokenType: response.token_type, expiresIn: response.expires_in };
      });
      return {
        kind: 'clientCredentials',
        async apply({ method, url }) {
          const token = await tokens.current();
          return { headers: await presentToken(session, token.value, token.tokenType, method, url), credential: token.value };
        },
        refused: async (applied) => tokens.refused(applied.credential),
      };
    },
  };
}
