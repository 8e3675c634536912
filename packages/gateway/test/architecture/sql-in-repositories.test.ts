import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * SQL lives in repositories (docs/architecture.md): the store itself, and one repository file per
 * part. Operations (consumers.ts, admin-tokens.ts, ...) call repository functions and hold no SQL.
 */
const src = fileURLToPath(new URL('../../src/', import.meta.url));
const MAY_HOLD_SQL = new Set([
  'credentials/repository.ts',
  'credentials/client-repository.ts', // OAuth clients
  'credentials/oauth-repository.ts', // signing keys, revoked tokens, codes, token families, refresh tokens
  'crypto/data-key-store.ts',
  'admin/admin-token-repository.ts',
  'observe/audit.ts', // the audit log is its own repository: append and verify the hash chain
  'state/postgres-change-bus.ts', // LISTEN and pg_notify: the bus's transport, not data access
  'observe/audit-seal.ts', // the audit log's sealed head, beside the chain it seals
  'observe/access-records.ts', // the access-record repository (batched insert, filtered pages, retention)
  'observe/alerts.ts', // the alert repository (stored with its audit record)
  'credentials/key-ages.ts', // read-only key ages for the metrics (to fold into repository.ts)
  'credentials/key-watch.ts', // key networks and aged keys for the anomaly rules (to fold into repository.ts)
  'console/sso/sso-repository.ts', // SSO one-time state: pending sign-ins, seen SAML assertion ids
  'check/run-check.ts', // `SELECT 1` against a PostgreSQL URL: a reachability probe, not data access
]);
const SQL_STATEMENT = /\.(query|exec)(<[^>]*>)?\(\s*[`'"]\s*(SELECT|INSERT|UPDATE|DELETE|LOCK|CREATE|ALTER|DROP|WITH|LISTEN)\b/i;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('SQL only in repositories', () => {
  it('finds SQL statements only in the store and in repository files', () => {
    const holding = sourceFiles(src)
      .map((file) => relative(src, file).split('\\').join('/'))
      .filter((file) => !file.startsWith('store/') && SQL_STATEMENT.test(readFileSync(join(src, file), 'utf8')));
    expect(holding.filter((file) => !MAY_HOLD_SQL.has(file))).toEqual([]);
    // The check itself still sees SQL where it is allowed (it would otherwise pass on anything).
    expect(holding).toContain('credentials/repository.ts');
  });
});
