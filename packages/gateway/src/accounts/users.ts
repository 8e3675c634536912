import { randomBytes } from 'node:crypto';
import { randomBase62 } from '@portcullis/protocol';
import { hashSecret } from '../credentials/secret-hash.js';
import { appendAudit } from '../observe/audit.js';
import type { Sql } from '../store/sql.js';
import type { AccountDeps } from './deps.js';
import { AccountError } from './errors.js';
import { describeUser, roleAtMost } from './model.js';
import type { ConsoleRole, ConsoleUser } from './model.js';
import {
  countActiveOwners,
  deleteSessionsOf,
  findUserById,
  insertSetupToken,
  insertUser,
  listUsers,
  lockUsers,
  setUserDisabled,
  setUserRole,
} from './repository.js';

/** The first owner's user name, made at first start. */
export const FIRST_OWNER = 'owner';

/** A setup link's token: 256 random bits, stored as SHA-256, used once. */
async function newSetupToken(sql: Sql, deps: AccountDeps, userId: string): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(deps.clock() + deps.policy.setupLinkLifetime);
  await insertSetupToken(sql, { hash: hashSecret(token), userId, expiresAt });
  return { token, expiresAt };
}

/**
 * At every start until an owner has enrolled: makes the first owner if there is none, and a fresh
 * one-time setup token for them (the last one stops working). Returns it for the start command to
 * print; undefined once an owner has a password and MFA.
 */
export async function ensureOwnerSetup(deps: AccountDeps): Promise<{ token: string; expiresAt: Date } | undefined> {
  return deps.db.transaction(async (tx) => {
    await lockUsers(tx);
    const users = await listUsers(tx);
    const owners = users.filter((u) => u.role === 'owner' && !u.disabledAt);
    if (owners.some((u) => describeUser(u).enrolled)) return undefined;
    let owner = owners[0];
    if (!owner) {
      const id = `usr_${randomBase62(16)}`;
      const now = new Date(deps.clock());
      // Like the bootstrap admin token, not an audited change: the owner's enrolment is (user.enrol).
      await insertUser(tx, { id, username: FIRST_OWNER, role: 'owner', createdAt: now });
      owner = (await findUserById(tx, id)) as ConsoleUser;
    }
    return newSetupToken(tx, deps, owner.id);
  });
}

const USERNAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

/** Adds a user with a setup link for them to set a password and enrol MFA. Nobody grants a role above their own. */
export async function createUser(deps: AccountDeps, actor: { id: string; role: ConsoleRole }, input: { username: string; role: ConsoleRole }) {
  const username = input.username.toLowerCase();
  if (!USERNAME.test(username)) throw new AccountError('invalid_username', 'A user name is 1 to 64 of a-z, 0-9 and . _ @ -, starting with a letter or digit.');
  if (!roleAtMost(input.role, actor.role)) throw new AccountError('role_above_own', `You cannot grant ${input.role}: it is above your own role (${actor.role}).`);
  return deps.db.transaction(async (tx) => {
    const id = `usr_${randomBase62(16)}`;
    const now = new Date(deps.clock());
    if (!(await insertUser(tx, { id, username, role: input.role, createdAt: now }))) {
      throw new AccountError('username_taken', `A user named "${username}" already exists.`);
    }
    await appendAudit(tx, { actor: actor.id, action: 'user.create', target: id, detail: { username, role: input.role } }, now);
    const setup = await newSetupToken(tx, deps, id);
    return { user: describeUser((await findUserById(tx, id)) as ConsoleUser), setup };
  });
}

/** A new setup link for a user (a lost phone, a forgotten password): their sessions and MFA stay until they enrol again. */
export async function resetUser(deps: AccountDeps, actor: { id: string; role: ConsoleRole }, userId: string) {
  return deps.db.transaction(async (tx) => {
    const user = await managedUser(tx, actor, userId);
    await appendAudit(tx, { actor: actor.id, action: 'user.setup-link', target: user.id }, new Date(deps.clock()));
    return { user: describeUser(user), setup: await newSetupToken(tx, deps, user.id) };
  });
}

/** A user the actor may manage: one whose role is not above the actor's own. */
async function managedUser(sql: Sql, actor: { role: ConsoleRole }, userId: string): Promise<ConsoleUser> {
  const user = await findUserById(sql, userId);
  if (!user) throw new AccountError('user_not_found', `No user ${userId}.`);
  if (!roleAtMost(user.role, actor.role)) throw new AccountError('role_above_own', `${user.username} has a role above your own (${actor.role}).`);
  return user;
}

export async function changeRole(deps: AccountDeps, actor: { id: string; role: ConsoleRole }, userId: string, role: ConsoleRole) {
  if (!roleAtMost(role, actor.role)) throw new AccountError('role_above_own', `You cannot grant ${role}: it is above your own role (${actor.role}).`);
  return deps.db.transaction(async (tx) => {
    await lockUsers(tx);
    const user = await managedUser(tx, actor, userId);
    if (user.role === 'owner' && role !== 'owner' && !user.disabledAt && (await countActiveOwners(tx)) <= 1) {
      throw new AccountError('last_owner', 'This is the last owner: make another owner first.');
    }
    await setUserRole(tx, user.id, role);
    await appendAudit(tx, { actor: actor.id, action: 'user.role', target: user.id, detail: { from: user.role, to: role } }, new Date(deps.clock()));
    return describeUser({ ...user, role });
  });
}

/** Disables a user and ends their sessions at once. */
export async function disableUser(deps: AccountDeps, actor: { id: string; role: ConsoleRole }, userId: string) {
  return deps.db.transaction(async (tx) => {
    await lockUsers(tx);
    const user = await managedUser(tx, actor, userId);
    if (user.role === 'owner' && !user.disabledAt && (await countActiveOwners(tx)) <= 1) {
      throw new AccountError('last_owner', 'This is the last owner: make another owner first.');
    }
    const now = new Date(deps.clock());
    await setUserDisabled(tx, user.id, now);
    await deleteSessionsOf(tx, user.id);
    await appendAudit(tx, { actor: actor.id, action: 'user.disable', target: user.id }, now);
    return describeUser({ ...user, disabledAt: now });
  });
}

export async function listConsoleUsers(deps: AccountDeps) {
  return (await listUsers(deps.db)).map(describeUser);
}
