import { readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import ignore from 'ignore';
import type { Ignore } from 'ignore';

/** Never descended into: dependency trees and VCS metadata are not the project's own source. */
const ALWAYS_SKIPPED = new Set(['node_modules', '.git', '.hg', '.svn']);

interface IgnoreScope {
  readonly base: string;
  readonly rules: Ignore;
}

async function loadGitignore(dir: string): Promise<Ignore | undefined> {
  try {
    return ignore().add(await readFile(join(dir, '.gitignore'), 'utf8'));
  } catch {
    return undefined;
  }
}

function ignored(scopes: readonly IgnoreScope[], path: string, isDir: boolean): boolean {
  for (const scope of scopes) {
    const rel = relative(scope.base, path).split(sep).join('/');
    if (rel && scope.rules.ignores(isDir ? `${rel}/` : rel)) return true;
  }
  return false;
}

/**
 * Every regular file under `root` that git would track: each directory's .gitignore applies below it
 * (as git reads them), node_modules and .git are skipped, symbolic links are not followed.
 */
export async function* walkTree(root: string): AsyncGenerator<string> {
  async function* visit(dir: string, scopes: readonly IgnoreScope[]): AsyncGenerator<string> {
    const own = await loadGitignore(dir);
    const here = own ? [...scopes, { base: dir, rules: own }] : scopes;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (ALWAYS_SKIPPED.has(entry.name) || ignored(here, path, true)) continue;
        yield* visit(path, here);
      } else if (entry.isFile() && !ignored(here, path, false)) {
        yield path;
      }
    }
  }
  yield* visit(root, []);
}
