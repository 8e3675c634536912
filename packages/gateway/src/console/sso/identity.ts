import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConsoleRole } from '../../accounts/model.js';

/** A person the IdP vouched for, after every check: signature, audience, recipient, replay, group. */
export interface SsoIdentity {
  readonly provider: 'saml' | 'oidc';
  /** The IdP's stable subject: the SAML NameID or the OIDC `sub`. */
  readonly subject: string;
  readonly email?: string;
  readonly groups: readonly string[];
  /** The highest role any of the groups maps to. */
  readonly role: ConsoleRole;
}

/**
 * Starts a console session for a verified identity: sets its cookie on `res` (with setHeader or
 * appendHeader, without writing the response) and ends the session `req` held before, if any, so the
 * id rotates at sign-in. The console's session module provides it; SSO never makes sessions of its own.
 * SSO then redirects the browser to its safe `returnTo`.
 */
export type StartSession = (req: IncomingMessage, res: ServerResponse, identity: SsoIdentity) => Promise<unknown>;
