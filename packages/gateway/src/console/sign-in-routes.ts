import type { IncomingMessage, ServerResponse } from 'node:http';
import type QRCode from 'qrcode';
import { z } from 'zod';
import type { AccountDeps } from '../accounts/deps.js';
import { AccountError } from '../accounts/errors.js';
import { findUserById } from '../accounts/repository.js';
import { csrfTokenFor, csrfTokenMatches, endSession, resolveSession } from '../accounts/sessions.js';
import type { IssuedSession } from '../accounts/sessions.js';
import { beginTotpEnrolment, finishEnrolment, mfaStep, passwordStep, startSetup } from '../accounts/sign-in.js';
import type { ConsoleSession } from '../accounts/model.js';
import { clearedSessionCookie, readSessionCookie, sessionCookie } from './cookies.js';
import { CONSOLE_HOME, safeReturnTo } from './return-to.js';
import { headerValue } from './session-actor.js';

/** What a sign-in route answers: a JSON body, and a new session to set as the cookie (or the cookie to clear). */
export interface SignInReply {
  readonly status: number;
  readonly body: unknown;
  readonly session?: IssuedSession | 'clear';
}

export interface SignInCall {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly body: unknown;
  readonly ip: string;
}

const loginBody = z.strictObject({ username: z.string().min(1).max(200), password: z.string().min(1).max(1024), returnTo: z.string().max(2048).optional() });
const codeBody = z.strictObject({ code: z.string().min(1).max(64) });
const setupBody = z.strictObject({ token: z.string().min(1).max(200) });
const enrolBody = z.strictObject({ password: z.string().max(1024), code: z.string().min(1).max(64) });

/** Loaded by the first TOTP enrolment, not at start-up (start-up time). */
let qrcode: Promise<typeof QRCode> | undefined;

function parse<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body);
  if (!result.success) throw new AccountError('malformed_request', 'The request body is not valid: send the fields this step asks for.');
  return result.data;
}

interface Current {
  readonly id: string;
  readonly session: ConsoleSession;
}

/** The session behind the cookie, at any stage, after checking the CSRF token of a state-changing call. */
async function current(deps: AccountDeps, req: IncomingMessage): Promise<Current> {
  const id = readSessionCookie(req);
  const session = await resolveSession(deps, id);
  if (!session || !id) throw new AccountError('session_required', 'Your session has ended: sign in again.');
  if (!csrfTokenMatches(id, headerValue(req.headers['x-csrf-token']))) {
    throw new AccountError('csrf_token_invalid', 'This request lacks the session\'s CSRF token (x-csrf-token).');
  }
  return { id, session };
}

async function describeSession(deps: AccountDeps, id: string, session: ConsoleSession) {
  const user = session.subject.startsWith('sso:') ? undefined : await findUserById(deps.db, session.subject);
  return {
    stage: session.stage,
    role: session.role,
    subject: session.subject,
    username: user?.username ?? session.subject.slice(4),
    csrfToken: csrfTokenFor(id),
    expiresAt: new Date(Math.min(session.createdAt.getTime() + deps.policy.absoluteTimeout, session.lastSeenAt.getTime() + deps.policy.idleTimeout)).toISOString(),
  };
}

const issuedBody = async (deps: AccountDeps, issued: IssuedSession, extra: Record<string, unknown> = {}) => ({ ...(await describeSession(deps, issued.id, issued.session)), ...extra });

/** The sign-in API under /console/api/: the only console endpoints outside the admin API. */
export function signInRoutes(deps: AccountDeps): Record<string, (call: SignInCall) => Promise<SignInReply>> {
  return {
    'GET session': async ({ req }) => {
      const id = readSessionCookie(req);
      const session = await resolveSession(deps, id);
      if (!session || !id) throw new AccountError('session_required', 'Not signed in.');
      return { status: 200, body: await describeSession(deps, id, session) };
    },
    'POST login': async ({ req, body, ip }) => {
      const input = parse(loginBody, body);
      const issued = await passwordStep(deps, { ...input, ip }, readSessionCookie(req));
      return { status: 200, body: await issuedBody(deps, issued, { next: safeReturnTo(input.returnTo) ?? CONSOLE_HOME }), session: issued };
    },
    'POST mfa': async ({ req, body, ip }) => {
      const { id, session } = await current(deps, req);
      const issued = await mfaStep(deps, session, id, { ...parse(codeBody, body), ip });
      return { status: 200, body: await issuedBody(deps, issued), session: issued };
    },
    'POST setup': async ({ req, body }) => {
      const issued = await startSetup(deps, parse(setupBody, body).token, readSessionCookie(req));
      return { status: 200, body: await issuedBody(deps, issued), session: issued };
    },
    'POST enrol/totp': async ({ req }) => {
      const { session } = await current(deps, req);
      const enrolment = await beginTotpEnrolment(deps, session);
      qrcode ??= import('qrcode').then((module) => module.default);
      const qr = await (await qrcode).toString(enrolment.uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      return { status: 200, body: { ...enrolment, qr: `data:image/svg+xml;base64,${Buffer.from(qr).toString('base64')}` } };
    },
    'POST enrol/finish': async ({ req, body }) => {
      const { id, session } = await current(deps, req);
      const { issued, recoveryCodes } = await finishEnrolment(deps, session, id, parse(enrolBody, body));
      return { status: 200, body: await issuedBody(deps, issued, { recoveryCodes }), session: issued };
    },
    'POST logout': async ({ req }) => {
      const { id } = await current(deps, req);
      await endSession(deps.db, id);
      return { status: 200, body: { stage: 'signed-out' }, session: 'clear' };
    },
  };
}

export function cookieFor(reply: SignInReply): string | undefined {
  if (!reply.session) return undefined;
  return reply.session === 'clear' ? clearedSessionCookie() : sessionCookie(reply.session.id);
}
