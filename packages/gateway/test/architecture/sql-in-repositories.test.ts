import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * SQL lives in repositories (docs/architecture.md): the store itself, and repository files
 * (`repository.ts`, `*-repository.ts`). Operations (consumers.ts, key-watch.ts, audit-seal.ts, ...)
 * call repository functions and hold no SQL.
 */
const src = fileURLToPath(new URL('../../src/', import.meta.url));
/** Repositories are named so: `repository.ts`, or `<what>-repository.ts`. */
const REPOSITORY = /(^|\/|-)repository\.ts$/;
const MAY_HOLD_SQL = new Set([
  'crypto/data-key-store.ts',
  'observe/audit.ts', // the audit log is its own repository: append, verify the hash chain, its sealed head
  'state/postgres-change-bus.ts', // LISTEN and pg_notify: the bus's transport, not data access
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
    expect(holding.filter((file) => !REPOSITORY.test(file) && !MAY_HOLD_SQL.has(file))).toEqual([]);
    // The check itself still sees SQL where it is allowed (it would otherwise pass on anything).
    expect(holding).toEqual(expect.arrayContaining(['credentials/repository.ts', 'observe/access-record-repository.ts', 'observe/alert-repository.ts']));
  });
});
