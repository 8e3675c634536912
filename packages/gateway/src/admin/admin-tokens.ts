import { join } from 'node:path';
import { generateCredential, parseCredential } from '@portcullis/protocol';
import { writeFileAtomic } from '../lib/atomic-file.js';
import { ADMIN_TOKEN_FILE } from '../lib/data-dir.js';
import type { Logger } from '../observe/logger.js';
import type { Database, Sql } from '../store/sql.js';
import { DUMMY_HASH, hashSecret, hashesEqual } from '../credentials/secret-hash.js';
import { findActiveAdminToken, hasActiveAdminToken, insertAdminToken, lockAdminTokens } from './admin-token-repository.js';

export const ADMIN_ROLES = ['owner', 'admin', 'developer', 'auditor'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

export interface AdminIdentity {
  readonly tokenId: string;
  readonly role: AdminRole;
}

/**
 * At first start (no admin token in the store) an owner token is made, stored as a hash only, and
 * written to dataDir/admin.token (0600) for the CLI. Later starts change nothing.
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
export async function verifyAdminToken(db: Sql, value: string): Promise<AdminIdentity | undefined> {
  const presented = hashSecret(value);
  const parsed = parseCredential(value);
  if (!parsed.ok || parsed.credential.kind !== 'adminToken') {
    hashesEqual(presented, DUMMY_HASH);
    return undefined;
  }
  const stored = await findActiveAdminToken(db, parsed.credential.id);
  if (!hashesEqual(presented, stored?.secretHash ?? DUMMY_HASH) || !stored) return undefined;
  return { tokenId: parsed.credential.id, role: stored.role };
}
