import type { IncomingMessage, ServerResponse } from 'node:http';
import { readOidcClientSecret } from '../../config/sso-secrets.js';
import type { SsoConfig } from '../../config/sso-schema.js';
import { baseHeaders } from '../../http/headers.js';
import { sendJson } from '../../http/respond.js';
import type { Logger } from '../../observe/logger.js';
import type { Database } from '../../store/sql.js';
import { clearBinding, redirect, sendRefusal } from './browser.js';
import type { SsoIdentity, StartSession } from './identity.js';
import { createOidcSso } from './oidc.js';
import type { OidcSso } from './oidc.js';
import { SsoRefusal } from './refusal.js';
import type { SsoRefusalReason } from './refusal.js';
import { CONSOLE_HOME, safeReturnTo } from '../return-to.js';
import { createSamlSso } from './saml.js';
import type { SamlSso } from './saml.js';

export const SSO_PREFIX = '/console/sso/';

export interface SsoHandlerOptions {
  readonly sso: SsoConfig;
  /** The configuration file, for error messages. */
  readonly source: string;
  readonly db: Database;
  readonly startSession: StartSession;
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => number;
}

export interface SsoHandler {
  /** Answers a request under /console/sso/; false when the path is not one of ours. */
  handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<boolean>;
}

/** What the refused person reads: the reason itself goes to the log only. */
const ADVICE: Record<SsoRefusalReason, [number, string, string]> = {
  malformed: [400, 'Sign-in failed', 'The sign-in answer was incomplete. Start again from the sign-in page.'],
  invalid_assertion: [403, 'Sign-in refused', 'Your identity provider’s answer could not be verified. Start again; if it keeps failing, ask your administrator to check the SSO settings.'],
  wrong_recipient: [403, 'Sign-in refused', 'The sign-in answer was meant for another service. Ask your administrator to check the SSO settings.'],
  replayed: [403, 'Sign-in refused', 'This sign-in answer was already used or has expired. Start again from the sign-in page.'],
  wrong_browser: [403, 'Sign-in refused', 'This sign-in was started in another browser or has expired. Start again from the sign-in page.'],
  wrong_state: [403, 'Sign-in refused', 'This sign-in was not started here, or has expired. Start again from the sign-in page.'],
  invalid_token: [403, 'Sign-in refused', 'Your identity provider’s answer could not be verified. Start again from the sign-in page.'],
  no_role: [403, 'No access to Portcullis', 'You signed in, but none of your groups is given a role in Portcullis. Ask your administrator to add you to a group that is.'],
  unsafe_return_to: [400, 'Sign-in refused', 'The page to return to is not part of this console.'],
};

/**
 * The console's SSO endpoints. SAML: GET saml/login, POST saml/acs, GET saml/metadata. OIDC: GET
 * oidc/login, GET oidc/callback. GET providers tells the sign-in page what to offer. A verified
 * identity goes to `startSession`, which makes the session and answers the browser.
 */
export function createSsoHandler(options: SsoHandlerOptions): SsoHandler {
  const { sso, db, logger } = options;
  const saml: SamlSso | undefined = sso.saml ? createSamlSso(sso.saml, db, options.now) : undefined;
  const oidc: OidcSso | undefined = sso.oidc
    ? createOidcSso(sso.oidc, readOidcClientSecret(sso.oidc, options.source, options.env), db, options.now)
    : undefined;

  async function signIn(req: IncomingMessage, res: ServerResponse, requestId: string, verified: () => Promise<{ identity: SsoIdentity; returnTo: string }>): Promise<void> {
    const { identity, returnTo } = await verified();
    await options.startSession(req, res, identity);
    clearBinding(res); // appended after the session cookie, which the console may have set with setHeader
    logger.info({ requestId, provider: identity.provider, subject: identity.subject, role: identity.role }, 'console sign-in by SSO');
    redirect(res, requestId, returnTo);
  }

  async function route(req: IncomingMessage, res: ServerResponse, requestId: string, path: string, query: URLSearchParams): Promise<boolean> {
    const method = req.method ?? 'GET';
    const login = (start: (res: ServerResponse, requestId: string, returnTo: string) => Promise<void>) => {
      const asked = query.get('returnTo');
      const returnTo = asked === null ? CONSOLE_HOME : safeReturnTo(asked);
      if (returnTo === undefined) throw new SsoRefusal('unsafe_return_to', `returnTo ${JSON.stringify(String(asked).slice(0, 200))}`);
      return start(res, requestId, returnTo);
    };
    switch (`${method} ${path}`) {
      case 'GET providers':
        sendJson(res, requestId, 200, { saml: saml !== undefined, oidc: oidc !== undefined, only: sso.only });
        return true;
      case 'GET saml/login':
        if (!saml) return false;
        await login(saml.login);
        return true;
      case 'POST saml/acs':
        if (!saml) return false;
        await signIn(req, res, requestId, () => saml.acs(req));
        return true;
      case 'GET saml/metadata': {
        if (!saml) return false;
        const xml = await saml.metadata();
        res.writeHead(200, [...baseHeaders(requestId), 'content-type', 'application/samlmetadata+xml', 'content-length', String(Buffer.byteLength(xml))]);
        res.end(xml);
        return true;
      }
      case 'GET oidc/login':
        if (!oidc) return false;
        await login(oidc.login);
        return true;
      case 'GET oidc/callback':
        if (!oidc) return false;
        await signIn(req, res, requestId, () => oidc.callback(req));
        return true;
      default:
        return false;
    }
  }

  return {
    async handle(req, res, requestId) {
      const url = new URL(req.url ?? '/', 'https://console.invalid');
      if (!url.pathname.startsWith(SSO_PREFIX)) return false;
      try {
        return await route(req, res, requestId, url.pathname.slice(SSO_PREFIX.length), url.searchParams);
      } catch (error) {
        if (res.headersSent) {
          res.destroy();
          return true;
        }
        if (error instanceof SsoRefusal) {
          logger.warn({ requestId, reason: error.reason, detail: error.detail }, 'console SSO sign-in refused');
          const [status, title, advice] = ADVICE[error.reason];
          res.removeHeader('set-cookie');
          clearBinding(res);
          sendRefusal(res, requestId, status, title, advice);
          return true;
        }
        logger.error({ requestId, err: error }, 'console SSO failed');
        res.removeHeader('set-cookie');
        sendRefusal(res, requestId, 502, 'Sign-in unavailable', 'The identity provider could not be reached. Try again in a minute; owners can still use the break-glass sign-in.');
        return true;
      }
    },
  };
}

