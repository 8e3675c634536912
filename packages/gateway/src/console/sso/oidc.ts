import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type * as Oidc from 'openid-client';
import { Agent, fetch as undiciFetch } from 'undici';
import type { OidcSsoConfig } from '../../config/sso-schema.js';
import type { Database } from '../../store/sql.js';
import { bindBrowser, browserBinding, redirect } from './browser.js';
import { groupList, roleForGroups } from './group-roles.js';
import type { SsoIdentity } from './identity.js';
import { SsoRefusal } from './refusal.js';
import { savePending, takePending } from './sso-repository.js';

/** How long a started sign-in waits for the IdP's answer. */
const PENDING_MS = 10 * 60_000;

/** Loaded by the first sign-in, not at start-up: most gateways never use OIDC (start-up time). */
let openidClient: Promise<typeof Oidc> | undefined;
const loadOpenidClient = (): Promise<typeof Oidc> => (openidClient ??= import('openid-client'));

interface PendingOidc {
  readonly binding: string;
  readonly verifier: string;
  readonly nonce: string;
  readonly returnTo: string;
}

export interface OidcSso {
  /** GET: redirects to the IdP (authorization code, PKCE S256, state and nonce). */
  login(res: ServerResponse, requestId: string, returnTo: string): Promise<void>;
  /** GET: the IdP's redirect back; resolves with the verified identity and where to land. */
  callback(req: IncomingMessage): Promise<{ identity: SsoIdentity; returnTo: string }>;
}

export function createOidcSso(config: OidcSsoConfig, clientSecret: string, db: Database, now: () => number = Date.now): OidcSso {
  // The issuer's certificate is always validated; `ca` adds a private CA, it never turns checks off.
  const agent = config.ca !== undefined ? new Agent({ connect: { ca: readFileSync(config.ca, 'utf8') } }) : undefined;
  const fetchVia = ((url: string, init?: RequestInit) =>
    undiciFetch(url, { ...(init as object), ...(agent ? { dispatcher: agent } : {}) })) as unknown as Oidc.CustomFetch;

  // Discovered on first use and kept; a failure is retried at the next sign-in, so the gateway starts while the IdP is down.
  let discovered: Promise<Oidc.Configuration> | undefined;
  const discover = async (): Promise<Oidc.Configuration> => {
    const client = await loadOpenidClient();
    const found = await client.discovery(new URL(config.issuer), config.clientId, undefined, client.ClientSecretBasic(clientSecret), { [client.customFetch]: fetchVia });
    found[client.customFetch] = fetchVia;
    return found;
  };
  const configuration = () => {
    discovered ??= discover().catch((error: unknown) => {
      discovered = undefined;
      throw error;
    });
    return discovered;
  };

  return {
    async login(res, requestId, returnTo) {
      const found = await configuration();
      const client = await loadOpenidClient();
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const binding = bindBrowser(res);
      await savePending(db, 'oidc-state', state, { binding, verifier, nonce, returnTo } satisfies PendingOidc, new Date(now() + PENDING_MS));
      const url = client.buildAuthorizationUrl(found, {
        redirect_uri: config.redirectUri,
        scope: config.scopes.join(' '),
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      redirect(res, requestId, url.href);
    },

    async callback(req) {
      const query = new URL(req.url ?? '/', 'https://callback.invalid').searchParams;
      const state = query.get('state');
      // The state is used once, and only by the browser that started the sign-in.
      const pending = state ? await takePending<PendingOidc>(db, 'oidc-state', state, new Date(now())) : undefined;
      if (!state || !pending) throw new SsoRefusal('wrong_state', 'no pending sign-in for this state');
      if (pending.binding !== browserBinding(req)) throw new SsoRefusal('wrong_browser', 'the answer arrived in a browser that did not start this sign-in');
      if (query.has('error')) throw new SsoRefusal('invalid_token', `the IdP answered ${query.get('error')?.slice(0, 100) ?? ''}`);

      const found = await configuration();
      const client = await loadOpenidClient();
      const current = new URL(config.redirectUri);
      current.search = query.toString();
      let claims: Oidc.IDToken | undefined;
      try {
        const tokens = await client.authorizationCodeGrant(found, current, {
          pkceCodeVerifier: pending.verifier,
          expectedState: state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
        claims = tokens.claims();
      } catch (error) {
        throw new SsoRefusal('invalid_token', (error as Error).message);
      }
      if (!claims) throw new SsoRefusal('invalid_token', 'no ID token');
      const groups = groupList(claims[config.groupsClaim]);
      const role = roleForGroups(groups, config.groupRoles);
      if (!role) throw new SsoRefusal('no_role', `none of the groups [${groups.join(', ')}] maps to a role`);
      const email = typeof claims.email === 'string' && claims.email_verified !== false ? claims.email : undefined;
      const identity: SsoIdentity = { provider: 'oidc', subject: claims.sub, ...(email !== undefined ? { email } : {}), groups, role };
      return { identity, returnTo: pending.returnTo };
    },
  };
}
