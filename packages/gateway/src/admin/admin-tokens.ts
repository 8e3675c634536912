import { join } from 'node:path';
import { generateCredential, parseCredential } from '@portcullis/protocol';
import { writeFileAtomic } from '../lib/atomic-file.js';
import { ADMIN_TOKEN_FILE } from '../lib/data-dir.js';
import type { Logger } from '../observe/logger.js';
import type { Database, Sql } from '../store/sql.js';
import { DUMMY_HASH, hashSecret, hashesEqual } from '../credentials/secret-hash.js';

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
    await tx.query('LOCK TABLE admin_tokens IN SHARE ROW EXCLUSIVE MODE');
    const [existing] = await tx.query('SELECT 1 FROM admin_tokens WHERE revoked_at IS NULL LIMIT 1');
    if (existing) return undefined;
    const token = generateCredential('adminToken');
    await insertAdminToken(tx, token.id, hashSecret(token.value), 'bootstrap', 'owner', now);
    await writeFileAtomic(path, `${token.value}\n`, { mode: 0o600 });
    return token;
  });
  if (created) logger.info({ tokenFile: path, role: 'owner' }, 'created the first admin token (readable by this user only)');
}

async function insertAdminToken(sql: Sql, id: string, hash: Buffer, name: string, role: AdminRole, now: Date): Promise<void> {
  await sql.query('INSERT INTO admin_tokens (id, secret_hash, name, role, created_at) VALUES ($1, $2, $3, $4, $5)', [id, hash, name, role, now]);
}

/** Checks an admin bearer token against the store. Admin calls are rare: no cache, so revocation is immediate. */
export async function verifyAdminToken(db: Sql, value: string): Promise<AdminIdentity | undefined> {
  const presented = hashSecret(value);
  const parsed = parseCredential(value);
  if (!parsed.ok || parsed.credential.kind !== 'adminToken') {
    hashesEqual(presented, DUMMY_HASH);
    return undefined;
  }
  const [row] = await db.query<{ secret_hash: Buffer; role: AdminRole }>(
    'SELECT secret_hash, role FROM admin_tokens WHERE id = $1 AND revoked_at IS NULL',
    [parsed.credential.id],
  );
  if (!hashesEqual(presented, row?.secret_hash ?? DUMMY_HASH) || !row) return undefined;
  return { tokenId: parsed.credential.id, role: row.role };
}
