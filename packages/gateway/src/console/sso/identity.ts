import type { ServerResponse } from 'node:http';
import type { ConsoleRole } from '../../config/sso-schema.js';

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
 * Starts a console session for a verified identity and answers the browser (a cookie and a redirect to
 * `returnTo`). The console's session module provides it; SSO never makes sessions of its own.
 */
export type StartSession = (res: ServerResponse, identity: SsoIdentity, returnTo: string) => Promise<void>;
