import { randomBytes } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

/**
 * A local OpenID Provider for tests: `oidc-provider` (a certified implementation) over HTTPS, with one
 * confidential client. Sign-in is immediate as `user` (no login form) and consent is implied, so a test
 * follows only the redirects a browser would; the ID token carries email and groups.
 */

export interface OidcUser {
  sub: string;
  email: string;
  groups: string[];
}

export interface TestOidcProvider {
  readonly issuer: string;
  user: OidcUser;
  close(): Promise<void>;
}

export async function startTestOidcProvider(
  tls: { cert: string; key: string },
  client: { clientId: string; clientSecret: string; redirectUri: string },
): Promise<TestOidcProvider> {
  const server = createServer(tls);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signing = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'test-1' };

  const idp: TestOidcProvider = {
    issuer,
    user: { sub: 'carol', email: 'carol@example.com', groups: [] },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: [client.redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [signing] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    conformIdTokenClaims: false, // the groups go into the ID token, where the console reads them
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, sub) {
      const user = idp.user;
      return { accountId: sub, claims: async () => ({ sub, email: user.email, email_verified: true, groups: user.groups }) };
    },
    // Consent is implied for the one client: grant what it asked for.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client?.clientId as string, accountId: ctx.oidc.session?.accountId as string });
      grant.addOIDCScope('openid email profile groups');
      grant.addOIDCClaims(['email', 'email_verified', 'groups']);
      await grant.save();
      return grant;
    },
  });

  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      provider.interactionFinished(req, res, { login: { accountId: idp.user.sub } }, { mergeWithLastSubmission: false }).catch(() => res.writeHead(500).end());
      return;
    }
    void callback(req, res);
  });
  return idp;
}
