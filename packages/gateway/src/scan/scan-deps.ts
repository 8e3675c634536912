import { relative, sep } from 'node:path';
import type { Finding, Rule } from '../lib/findings.js';
import { isLockfile, readLockfile } from './lockfiles.js';
import type { LockedPackage } from './lockfiles.js';
import type { AdvisorySource } from './osv.js';
import { walkTree } from './walk.js';

export const VULNERABLE_DEPENDENCY: Rule = {
  id: 'vulnerable-dependency',
  severity: 'high',
  title: 'Dependency with a known vulnerability',
  explanation: 'A pinned dependency version is listed in an OSV advisory; the advisory says what an attacker can do with it.',
  fix: 'Upgrade to a fixed version (shown when the advisory names one) and regenerate the lockfile; if none exists, read the advisory for a workaround.',
};

export interface DependencyScan {
  readonly findings: Finding[];
  readonly lockfiles: string[];
  readonly packages: number;
}

/** Every lockfile in the tree (see walkTree), each pinned package checked against the advisories. */
export async function scanDependencies(root: string, source: AdvisorySource): Promise<DependencyScan> {
  const lockfiles: string[] = [];
  const packages: LockedPackage[] = [];
  for await (const path of walkTree(root)) {
    if (!isLockfile(path)) continue;
    const locked = await readLockfile(root, path);
    lockfiles.push(relative(root, path).split(sep).join('/'));
    packages.push(...locked);
  }
  // One query per distinct package version, however many lockfiles pin it.
  const distinct = [...new Map(packages.map((p) => [`${p.ecosystem}\0${p.name}\0${p.version}`, p])).values()];
  const advisories = await source.advisoriesFor(distinct);
  const byKey = new Map(distinct.map((p, i) => [`${p.ecosystem}\0${p.name}\0${p.version}`, advisories[i] ?? []]));
  const findings = packages.flatMap((pkg) =>
    (byKey.get(`${pkg.ecosystem}\0${pkg.name}\0${pkg.version}`) ?? []).map(
      (a): Finding => ({
        rule: VULNERABLE_DEPENDENCY,
        severity: a.severity,
        message: `${pkg.name}@${pkg.version} (${pkg.ecosystem}): ${a.id} ${a.summary}${a.fixed ? ` (fixed in ${a.fixed})` : ''}`,
        file: pkg.file,
        line: pkg.line,
      }),
    ),
  );
  return { findings, lockfiles, packages: distinct.length };
}
