import { randomBytes } from 'node:crypto';
import { hashSecret } from '../credentials/secret-hash.js';
import { appendAudit } from '../observe/audit.js';
import type { AccountDeps } from './deps.js';
import { AccountError } from './errors.js';
import type { ConsoleSession, ConsoleUser } from './model.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, dummyPasswordHash, hashPassword, verifyPassword } from './password.js';
import { advanceTotpStep, consumeSetupToken, findUserById, findUserByName, replaceRecoveryCodes, setCredentials, setPendingTotp, useRecoveryCode } from './repository.js';
import { issueSession } from './sessions.js';
import type { IssuedSession } from './sessions.js';
import { checkThrottle, clearFailures, recordFailure, throttleKey } from './throttle.js';
import { checkTotp, newTotpSecret, totpUri } from './totp.js';

/**
 * Local sign-in, one step at a time: a setup link (first start, or a new user) leads to enrolment
 * (password + TOTP); a password leads to the MFA step; only a completed MFA step makes an active
 * session. Each step issues a new session id and ends the one before.
 */

const RECOVERY_CODES = 10;
const totpContext = (userId: string) => `totp:${userId}`;

/** Opens an enrolment session from a one-time setup token. The token is spent even if enrolment is never finished. */
export async function startSetup(deps: AccountDeps, token: string, replacing?: string): Promise<IssuedSession> {
  return deps.db.transaction(async (tx) => {
    const now = new Date(deps.clock());
    const userId = await consumeSetupToken(tx, hashSecret(token), now);
    const user = userId ? await findUserById(tx, userId) : undefined;
    if (!user || user.disabledAt) throw new AccountError('setup_link_invalid', 'This setup link is not valid: it was used already, has expired, or was replaced by a newer one.');
    return issueSession(tx, { subject: user.id, role: user.role, stage: 'enrol' }, now, replacing);
  });
}

/** A fresh TOTP secret for the enrolling user, kept (encrypted) on their session until confirmed. */
export async function beginTotpEnrolment(deps: AccountDeps, session: ConsoleSession): Promise<{ secret: string; uri: string; username: string }> {
  const user = await enrollingUser(deps, session);
  const secret = await newTotpSecret();
  await setPendingTotp(deps.db, session.idHash, await deps.keyring.encrypt(secret, totpContext(user.id)));
  return { secret, uri: await totpUri(secret, user.username, deps.policy.totpIssuer), username: user.username };
}

/** Sets the password, confirms the TOTP secret with a code from the app, and signs in: recovery codes are returned once. */
export async function finishEnrolment(
  deps: AccountDeps,
  session: ConsoleSession,
  sessionId: string,
  input: { password: string; code: string },
): Promise<{ issued: IssuedSession; recoveryCodes: string[] }> {
  const user = await enrollingUser(deps, session);
  if (input.password.length < PASSWORD_MIN_LENGTH || input.password.length > PASSWORD_MAX_LENGTH) {
    throw new AccountError('weak_password', `A password has ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters; a passphrase of several words is easiest.`);
  }
  if (!session.pendingTotp) throw new AccountError('invalid_code', 'Start the authenticator enrolment first.');
  const secret = (await deps.keyring.decrypt(session.pendingTotp, totpContext(user.id))).toString('utf8');
  const step = await checkTotp(secret, input.code, deps.clock(), undefined);
  if (step === undefined) throw new AccountError('invalid_code', 'That code is not the current one: check the time on your phone and try the next code.');
  const passwordHash = await hashPassword(input.password);
  const recoveryCodes = Array.from({ length: RECOVERY_CODES }, () => randomBytes(10).toString('hex').replace(/(.{5})(?=.)/g, '$1-'));
  return deps.db.transaction(async (tx) => {
    const now = new Date(deps.clock());
    await setCredentials(tx, user.id, passwordHash, await deps.keyring.encrypt(secret, totpContext(user.id)), step);
    await replaceRecoveryCodes(tx, user.id, recoveryCodes.map(normaliseRecoveryCode).map(hashSecret));
    await appendAudit(tx, { actor: user.id, action: 'user.enrol', target: user.id, detail: { mfa: 'totp' } }, now);
    const issued = await issueSession(tx, { subject: user.id, role: user.role, stage: 'active' }, now, sessionId);
    return { issued, recoveryCodes };
  });
}

async function enrollingUser(deps: AccountDeps, session: ConsoleSession): Promise<ConsoleUser> {
  const user = session.stage === 'enrol' ? await findUserById(deps.db, session.subject) : undefined;
  if (!user || user.disabledAt) throw new AccountError('session_required', 'Open your setup link again to enrol.');
  return user;
}

/**
 * The password step. Every refusal is the same (no user, disabled, not enrolled, wrong password) and
 * costs the same scrypt time. Throttled per user name and address before the password is looked at.
 */
export async function passwordStep(deps: AccountDeps, input: { username: string; password: string; ip: string }, replacing?: string): Promise<IssuedSession> {
  const username = input.username.toLowerCase().slice(0, 64);
  const key = throttleKey(username, input.ip);
  await checkThrottle(deps.db, key, deps.policy, deps.clock());
  const user = await findUserByName(deps.db, username);
  const usable = user && !user.disabledAt && user.passwordHash && user.totpSecret && (deps.passwordLoginAllowed?.(user) ?? true);
  const ok = await verifyPassword(input.password.slice(0, PASSWORD_MAX_LENGTH), usable ? (user.passwordHash as string) : await dummyPasswordHash());
  if (!ok || !usable) {
    await recordFailure(deps.db, key, deps.clock());
    throw new AccountError('invalid_login', 'The user name or password is not right.');
  }
  return deps.db.transaction((tx) => issueSession(tx, { subject: user.id, role: user.role, stage: 'mfa' }, new Date(deps.clock()), replacing));
}

export function normaliseRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[^0-9a-f]/g, '');
}

/** The MFA step: a TOTP code later than the last one accepted, or an unused recovery code. */
export async function mfaStep(deps: AccountDeps, session: ConsoleSession, sessionId: string, input: { code: string; ip: string }): Promise<IssuedSession> {
  const user = session.stage === 'mfa' ? await findUserById(deps.db, session.subject) : undefined;
  if (!user?.totpSecret || user.disabledAt) throw new AccountError('session_required', 'Sign in with your password first.');
  const key = throttleKey(user.username, input.ip);
  await checkThrottle(deps.db, key, deps.policy, deps.clock());
  const code = input.code.trim();
  const now = new Date(deps.clock());
  let accepted = false;
  if (/^\d{6}$/.test(code)) {
    const secret = (await deps.keyring.decrypt(user.totpSecret, totpContext(user.id))).toString('utf8');
    const step = await checkTotp(secret, code, now.getTime(), user.totpLastStep);
    // The step is advanced atomically: of two requests racing with one code, only one gets through.
    accepted = step !== undefined && (await advanceTotpStep(deps.db, user.id, step));
  } else if (code.length <= 40) {
    accepted = await useRecoveryCode(deps.db, user.id, hashSecret(normaliseRecoveryCode(code)), now);
  }
  if (!accepted) {
    await recordFailure(deps.db, key, now.getTime());
    throw new AccountError('invalid_code', 'That code is not valid, or was used already: wait for the next code.');
  }
  await clearFailures(deps.db, key);
  return deps.db.transaction(async (tx) => {
    await appendAudit(tx, { actor: user.id, action: 'user.sign-in', target: user.id, detail: { mfa: /^\d{6}$/.test(code) ? 'totp' : 'recovery-code' } }, now);
    return issueSession(tx, { subject: user.id, role: user.role, stage: 'active' }, now, sessionId);
  });
}
