import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccountDeps } from '../accounts/deps.js';
import { AccountError } from '../accounts/errors.js';
import type { ConsoleRole } from '../accounts/model.js';
import { csrfTokenMatches, issueSession, resolveSession } from '../accounts/sessions.js';
import { readSessionCookie, sessionCookie } from './cookies.js';

/** The admin API's view of a signed-in person (the same shape as admin/actor.ts's AdminActor). */
export interface SessionActor {
  readonly kind: 'session';
  readonly id: string;
  readonly role: ConsoleRole;
}

/** A verified identity from single sign-on or a local sign-in. */
export interface SessionStartIdentity {
  readonly userId?: string;
  readonly ssoSubject?: string;
  readonly role: ConsoleRole;
  /** True when a second factor was verified (locally, or asserted by the IdP). Without it the session cannot reach the admin API. */
  readonly mfaDone: boolean;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** The console's sessions as the admin API and single sign-on see them. */
export function createConsoleSessions(deps: AccountDeps) {
  return {
    /**
     * Starts a session for a verified identity and sets its cookie on `res`; the session the browser
     * held before (if any) ends. For single sign-on after the IdP's response was verified.
     */
    async startSession(req: IncomingMessage, res: ServerResponse, identity: SessionStartIdentity): Promise<{ csrfToken: string }> {
      const subject = identity.userId ?? (identity.ssoSubject ? `sso:${identity.ssoSubject}` : undefined);
      if (!subject) throw new TypeError('startSession needs a userId or an ssoSubject');
      const stage = identity.mfaDone ? 'active' : 'mfa';
      const issued = await deps.db.transaction((tx) => issueSession(tx, { subject, role: identity.role, stage }, new Date(deps.clock()), readSessionCookie(req)));
      // Appended, not set: single sign-on may set (or clear) cookies of its own on the same response.
      res.appendHeader('set-cookie', sessionCookie(issued.id));
      return { csrfToken: issued.csrfToken };
    },

    /**
     * The admin API's session resolver: the signed-in person behind the request's cookie, or undefined
     * (no cookie, unknown, expired, or MFA not done). A state-changing request must also carry the
     * session's CSRF token in `x-csrf-token`: without it the request is refused, not just unauthenticated.
     */
    async resolveActor(req: IncomingMessage): Promise<SessionActor | undefined> {
      const id = readSessionCookie(req);
      const session = await resolveSession(deps, id);
      if (!session || session.stage !== 'active' || !id) return undefined;
      if (!SAFE_METHODS.has(req.method ?? 'GET') && !csrfTokenMatches(id, headerValue(req.headers['x-csrf-token']))) {
        throw new AccountError('csrf_token_invalid', 'A console request that changes something carries the session\'s CSRF token in x-csrf-token.');
      }
      return { kind: 'session', id: session.subject, role: session.role };
    },
  };
}

export type ConsoleSessions = ReturnType<typeof createConsoleSessions>;

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
