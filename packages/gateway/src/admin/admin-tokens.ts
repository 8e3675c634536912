import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { generateCredential, parseCredential } from '@portcullis/protocol';
import { getConsumer } from '../credentials/consumers.js';
import type { CredentialDeps } from '../credentials/deps.js';
import { DUMMY_HASH, hashSecret, hashesEqual } from '../credentials/secret-hash.js';
import { writeFileAtomic } from '../lib/atomic-file.js';
import { ADMIN_TOKEN_FILE } from '../lib/data-dir.js';
import { appendAudit } from '../observe/audit.js';
import type { Logger } from '../observe/logger.js';
import type { Clock } from '../state/clock.js';
import type { Database, Sql } from '../store/sql.js';
import type { ActorResolver, AdminActor } from './actor.js';
import {
  findActiveAdminToken,
  findAdminToken,
  hasActiveAdminToken,
  insertAdminToken,
  listAdminTokens as selectAdminTokens,
  lockAdminTokens,
  markAdminTokenRevoked,
} from './admin-token-repository.js';
import type { AdminTokenRecord } from './admin-token-repository.js';
import { refuse } from './http.js';
import { mayGrant } from './roles.js';
import type { Role } from './roles.js';

/**
 * At first start (no admin token in the store) an owner token is made, stored as a hash only, and
 * written to dataDir/admin.token (0600) for the CLI. Later starts change nothing: that token works
 * until it is revoked.
 */
export async function ensureAdminToken(db: Database, dataDir: string, logger: Logger, now: Date): Promise<void> {
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  const created = await db.transaction(async (tx) => {
    await lockAdminTokens(tx);
    if (await hasActiveAdminToken(tx)) return undefined;
    const token = generateCredential('adminToken');
    await insertAdminToken(tx, { id: token.id, secretHash: hashSecret(token.value), name: 'bootstrap', role: 'owner', createdAt: now });
    await writeFileAtomic(path, `${token.value}\n`, { mode: 0o600 });
    return token;
  });
  if (created) logger.info({ tokenFile: path, role: 'owner' }, 'created the first admin token (readable by this user only)');
}

/** Checks an admin bearer token against the store. Admin calls are rare: no cache, so revocation is immediate. */
export async function verifyAdminToken(db: Sql, value: string, now: Date): Promise<AdminActor | undefined> {
  const presented = hashSecret(value);
  const parsed = parseCredential(value);
  if (!parsed.ok || parsed.credential.kind !== 'adminToken') {
    hashesEqual(presented, DUMMY_HASH);
    return undefined;
  }
  const stored = await findActiveAdminToken(db, parsed.credential.id, now);
  if (!hashesEqual(presented, stored?.secretHash ?? DUMMY_HASH) || !stored) return undefined;
  return { kind: 'token', id: parsed.credential.id, role: stored.role, ...(stored.consumers ? { consumers: stored.consumers } : {}) };
}

/** The built-in actor resolver: `Authorization: Bearer <admin token>`. */
export function adminTokenResolver(db: Sql, clock: Clock): ActorResolver {
  return async (req: IncomingMessage) => {
    const bearer = /^Bearer +(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    return bearer ? verifyAdminToken(db, bearer, new Date(clock())) : undefined;
  };
}

export interface NewTokenRequest {
  readonly role: Role;
  readonly name?: string | undefined;
  readonly expiresIn?: number | undefined;
  readonly consumers?: readonly string[] | undefined;
}

/**
 * A new admin token, shown this once (only its hash is kept), audited in the same transaction. Nobody
 * grants a role above their own, nor reaches consumers they cannot see themselves.
 */
export async function createAdminToken(deps: CredentialDeps, actor: AdminActor, request: NewTokenRequest): Promise<{ record: AdminTokenRecord; value: string }> {
  if (!mayGrant(actor.role, request.role)) refuse('forbidden', `the role ${actor.role} cannot grant the role ${request.role}: ask an owner`);
  if (request.consumers && request.role !== 'developer') {
    refuse('bad-request', 'The request body is not valid.', {
      errors: [{ pointer: '/consumers', field: 'consumers', detail: 'only a developer token is limited to consumers: leave consumers out, or give role developer' }],
    });
  }
  // A creator limited to consumers passes its limit on: it never makes a token that reaches further.
  if (actor.consumers && request.role !== 'developer') refuse('forbidden', 'a token limited to consumers can only create developer tokens within its limit');
  const consumers = request.consumers ? [...new Set(request.consumers)] : actor.consumers ? [...actor.consumers] : undefined;
  if (actor.consumers && consumers?.some((id) => !actor.consumers?.includes(id))) refuse('forbidden', 'a token cannot reach consumers its creator cannot see');
  for (const id of consumers ?? []) await getConsumer(deps, id);
  const now = new Date(deps.clock());
  const token = generateCredential('adminToken');
  const record: AdminTokenRecord = {
    id: token.id,
    name: request.name ?? `${request.role} token`,
    role: request.role,
    consumers: consumers ?? null,
    createdAt: now,
    createdBy: actor.id,
    expiresAt: request.expiresIn === undefined ? null : new Date(now.getTime() + request.expiresIn),
    revokedAt: null,
  };
  await deps.db.transaction(async (tx) => {
    await insertAdminToken(tx, { ...record, secretHash: hashSecret(token.value) });
    await appendAudit(tx, { actor: actor.id, action: 'admin-token.create', target: token.id, detail: { role: record.role, consumers: record.consumers, expiresAt: record.expiresAt?.toISOString() ?? null } }, now);
  });
  return { record, value: token.value };
}

export async function listAdminTokens(db: Sql): Promise<AdminTokenRecord[]> {
  return selectAdminTokens(db);
}

/** Revoked at once (verification reads the store on every call). A role above the caller's is out of reach. */
export async function revokeAdminToken(deps: CredentialDeps, actor: AdminActor, id: string): Promise<AdminTokenRecord> {
  const now = new Date(deps.clock());
  return deps.db.transaction(async (tx) => {
    const existing = await findAdminToken(tx, id, true);
    if (!existing) return refuse('not-found', `no admin token with id ${id}`);
    if (!mayGrant(actor.role, existing.role)) refuse('forbidden', `the role ${actor.role} cannot revoke a token of the role ${existing.role}: ask an owner`);
    if (existing.revokedAt) return existing;
    await markAdminTokenRevoked(tx, id, now);
    await appendAudit(tx, { actor: actor.id, action: 'admin-token.revoke', target: id, detail: { role: existing.role } }, now);
    return { ...existing, revokedAt: now };
  });
}

/** The public view: never a hash. */
export function describeAdminToken(token: AdminTokenRecord, now: number) {
  const status = token.revokedAt ? ('revoked' as const) : token.expiresAt && token.expiresAt.getTime() <= now ? ('expired' as const) : ('active' as const);
  return {
    id: token.id,
    name: token.name,
    role: token.role,
    consumers: token.consumers ? [...token.consumers] : null,
    status,
    createdAt: token.createdAt.toISOString(),
    createdBy: token.createdBy,
    expiresAt: token.expiresAt?.toISOString() ?? null,
    revokedAt: token.revokedAt?.toISOString() ?? null,
  };
}
