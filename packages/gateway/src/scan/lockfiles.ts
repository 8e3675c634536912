import { readFile } from 'node:fs/promises';
import { basename, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** OSV ecosystem names (https://ossf.github.io/osv-schema/#affectedpackage-field). */
export type Ecosystem = 'npm' | 'PyPI' | 'Go';

export interface LockedPackage {
  readonly ecosystem: Ecosystem;
  readonly name: string;
  readonly version: string;
  /** The lockfile, relative to the scanned root, and the line that pins this package. */
  readonly file: string;
  readonly line: number;
}

type Parser = (text: string) => { name: string; version: string; locator: string }[];

/** `"node_modules/a/node_modules/@s/b": { "version": ... }` (lockfile v2/v3), or nested v1 `dependencies`. */
const packageLock: Parser = (text) => {
  const lock = JSON.parse(text) as {
    packages?: Record<string, { version?: string; link?: boolean }>;
    dependencies?: Record<string, { version?: string; dependencies?: unknown }>;
  };
  if (lock.packages) {
    return Object.entries(lock.packages).flatMap(([path, entry]) => {
      const at = path.lastIndexOf('node_modules/');
      if (at === -1 || entry.link || !entry.version) return [];
      return [{ name: path.slice(at + 'node_modules/'.length), version: entry.version, locator: `"${path}"` }];
    });
  }
  const out: { name: string; version: string; locator: string }[] = [];
  const visit = (deps: Record<string, { version?: string; dependencies?: unknown }> | undefined) => {
    for (const [name, entry] of Object.entries(deps ?? {})) {
      if (entry.version && !entry.version.includes(':')) out.push({ name, version: entry.version, locator: `"${name}"` });
      visit(entry.dependencies as typeof deps);
    }
  };
  visit(lock.dependencies);
  return out;
};

/** Keys such as `/a/1.0.0` (v5), `/@s/b@1.0.0(peer@2)` (v6) or `@s/b@1.0.0` (v9). */
const pnpmLock: Parser = (text) => {
  const lock = parseYaml(text) as { packages?: Record<string, unknown> } | null;
  return Object.keys(lock?.packages ?? {}).flatMap((key) => {
    const bare = key.replace(/^\//, '').replace(/\(.*$/, '');
    const at = bare.lastIndexOf('@');
    const [name, version] = at > 0 ? [bare.slice(0, at), bare.slice(at + 1)] : [bare.slice(0, bare.lastIndexOf('/')), bare.slice(bare.lastIndexOf('/') + 1)];
    return name && /^\d/.test(version) ? [{ name, version, locator: key }] : [];
  });
};

/** yarn v1 (`version "1.2.3"`) and berry (`version: 1.2.3`) blocks under `"name@range", ...:` headers. */
const yarnLock: Parser = (text) => {
  const out: { name: string; version: string; locator: string }[] = [];
  const block = /^("?)(@?[^@\s"]+)@[^\n]*:\n((?:[ \t]+[^\n]*\n?)*)/gm;
  for (let m = block.exec(text); m; m = block.exec(text)) {
    const name = m[2] as string;
    const version = /^\s+version:?\s+"?([^"\s]+)"?/m.exec(m[3] as string)?.[1];
    if (name !== '__metadata' && version) out.push({ name, version, locator: `${m[1]}${name}@` });
  }
  return out;
};

/** `name==1.2.3` pins; anything looser cannot be matched to one version and is left out. */
const requirements: Parser = (text) =>
  text.split('\n').flatMap((raw) => {
    const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([A-Za-z0-9.+!_-]+)/.exec(raw.replace(/#.*/, ''));
    return m ? [{ name: m[1] as string, version: m[2] as string, locator: raw }] : [];
  });

/** `module version[/go.mod] h1:hash`: one entry per module version. */
const goSum: Parser = (text) => {
  const seen = new Set<string>();
  return text.split('\n').flatMap((raw) => {
    const [module, version] = raw.trim().split(/\s+/);
    if (!module || !version) return [];
    const v = version.replace(/\/go\.mod$/, '');
    if (seen.has(`${module}@${v}`)) return [];
    seen.add(`${module}@${v}`);
    return [{ name: module, version: v, locator: `${module} ${v}` }];
  });
};

const LOCKFILES: readonly { readonly match: (name: string) => boolean; readonly ecosystem: Ecosystem; readonly parse: Parser }[] = [
  { match: (n) => n === 'package-lock.json' || n === 'npm-shrinkwrap.json', ecosystem: 'npm', parse: packageLock },
  { match: (n) => n === 'pnpm-lock.yaml', ecosystem: 'npm', parse: pnpmLock },
  { match: (n) => n === 'yarn.lock', ecosystem: 'npm', parse: yarnLock },
  { match: (n) => /^requirements.*\.txt$/.test(n), ecosystem: 'PyPI', parse: requirements },
  { match: (n) => n === 'go.sum', ecosystem: 'Go', parse: goSum },
];

export function isLockfile(path: string): boolean {
  const name = basename(path);
  return LOCKFILES.some((l) => l.match(name));
}

/** The pinned packages of one lockfile; an unreadable lockfile is an error naming the file. */
export async function readLockfile(root: string, path: string): Promise<LockedPackage[]> {
  const name = basename(path);
  const kind = LOCKFILES.find((l) => l.match(name));
  if (!kind) return [];
  const text = await readFile(path, 'utf8');
  const file = relative(root, path).split(sep).join('/');
  let entries;
  try {
    entries = kind.parse(text);
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  return entries.map((e) => {
    const at = text.indexOf(e.locator);
    const line = at === -1 ? 1 : text.slice(0, at).split('\n').length;
    return { ecosystem: kind.ecosystem, name: e.name, version: e.version, file, line };
  });
}
