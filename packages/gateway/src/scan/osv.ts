import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import semver from 'semver';
import { request } from 'undici';
import type { Severity } from '../lib/findings.js';
import type { LockedPackage } from './lockfiles.js';

/** The part of an OSV record (https://ossf.github.io/osv-schema/) the scanner reads. */
export interface OsvRecord {
  readonly id: string;
  readonly summary?: string;
  readonly aliases?: readonly string[];
  readonly withdrawn?: string;
  readonly affected?: readonly {
    readonly package?: { readonly ecosystem?: string; readonly name?: string };
    readonly versions?: readonly string[];
    readonly ranges?: readonly { readonly type?: string; readonly events?: readonly Record<string, string>[] }[];
  }[];
  readonly database_specific?: { readonly severity?: string };
}

export interface Advisory {
  readonly id: string;
  readonly summary: string;
  readonly severity: Severity;
  readonly fixed?: string;
}

/** Where advisories come from: the OSV API, or an offline export on disk. */
export interface AdvisorySource {
  advisoriesFor(packages: readonly LockedPackage[]): Promise<Advisory[][]>;
}

/** PyPI names compare in PEP 503 normal form; npm and Go names are exact. */
function normalName(ecosystem: string, name: string): string {
  return ecosystem === 'PyPI' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name;
}

/** Go module versions carry a `v` and sometimes `+incompatible`; semver wants neither. */
function asSemver(version: string): string | null {
  return semver.valid(version.replace(/^v/, '').replace(/\+incompatible$/, ''));
}

/**
 * OSV's range evaluation: walk the events in version order; `introduced` opens, `fixed` closes (the
 * fixed version is safe), `last_affected` closes after itself. Only SEMVER ranges are evaluated (npm,
 * Go); other ecosystems are matched by the explicit `versions` list OSV enumerates for them.
 */
function inSemverRange(version: string, events: readonly Record<string, string>[]): boolean {
  const v = asSemver(version);
  if (!v) return false;
  const parsed = events
    .map((e) => {
      const [kind, raw] = Object.entries(e)[0] ?? [];
      const at = raw === '0' ? '0.0.0' : asSemver(raw ?? '');
      return kind && at ? { kind, at } : undefined;
    })
    .filter((e): e is { kind: string; at: string } => e !== undefined)
    .sort((a, b) => semver.compare(a.at, b.at));
  let affected = false;
  for (const e of parsed) {
    if (e.kind === 'introduced' && semver.gte(v, e.at)) affected = true;
    if (e.kind === 'fixed' && semver.gte(v, e.at)) affected = false;
    if (e.kind === 'last_affected' && semver.gt(v, e.at)) affected = false;
  }
  return affected;
}

export function affects(record: OsvRecord, pkg: Pick<LockedPackage, 'ecosystem' | 'name' | 'version'>): boolean {
  if (record.withdrawn) return false;
  return (record.affected ?? []).some((a) => {
    if (a.package?.ecosystem !== pkg.ecosystem || normalName(pkg.ecosystem, a.package.name ?? '') !== normalName(pkg.ecosystem, pkg.name)) return false;
    if (a.versions?.includes(pkg.version)) return true;
    return (a.ranges ?? []).some((r) => r.type === 'SEMVER' && inSemverRange(pkg.version, r.events ?? []));
  });
}

const OSV_SEVERITY: Record<string, Severity> = { CRITICAL: 'critical', HIGH: 'high', MODERATE: 'medium', MEDIUM: 'medium', LOW: 'low' };

export function toAdvisory(record: OsvRecord, pkg?: Pick<LockedPackage, 'ecosystem' | 'name'>): Advisory {
  const fixed = pkg
    ? record.affected
        ?.filter((a) => a.package?.name && normalName(pkg.ecosystem, a.package.name) === normalName(pkg.ecosystem, pkg.name))
        .flatMap((a) => a.ranges ?? [])
        .flatMap((r) => r.events ?? [])
        .map((e) => e.fixed)
        .find((f) => f !== undefined)
    : undefined;
  return {
    id: record.id,
    summary: record.summary ?? record.aliases?.join(', ') ?? record.id,
    // An advisory without a rating is treated as high: unknown is not the same as harmless.
    severity: OSV_SEVERITY[(record.database_specific?.severity ?? '').toUpperCase()] ?? 'high',
    ...(fixed ? { fixed } : {}),
  };
}

async function* jsonFiles(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* jsonFiles(path);
    else if (entry.isFile() && entry.name.endsWith('.json')) yield path;
  }
}

/**
 * An offline OSV export: a directory of OSV JSON records, e.g. the per-ecosystem `all.zip` files of the
 * OSV data dump, unzipped. Records are indexed by ecosystem and package once.
 */
export async function openOsvDirectory(dir: string): Promise<AdvisorySource> {
  const index = new Map<string, OsvRecord[]>();
  let count = 0;
  try {
    for await (const path of jsonFiles(dir)) {
      const record = JSON.parse(await readFile(path, 'utf8')) as OsvRecord;
      count++;
      for (const a of record.affected ?? []) {
        if (!a.package?.ecosystem || !a.package.name) continue;
        const key = `${a.package.ecosystem}\0${normalName(a.package.ecosystem, a.package.name)}`;
        const list = index.get(key) ?? [];
        if (!list.includes(record)) list.push(record);
        index.set(key, list);
      }
    }
  } catch (error) {
    throw new Error(`--osv-db ${dir}: ${(error as Error).message}`, { cause: error });
  }
  if (count === 0) throw new Error(`--osv-db ${dir}: no OSV records (*.json) found there; unzip an OSV export (e.g. npm/all.zip) into it`);
  return {
    async advisoriesFor(packages) {
      return packages.map((pkg) =>
        (index.get(`${pkg.ecosystem}\0${normalName(pkg.ecosystem, pkg.name)}`) ?? []).filter((r) => affects(r, pkg)).map((r) => toAdvisory(r, pkg)),
      );
    },
  };
}

const BATCH = 1000;

/** The OSV API (https://google.github.io/osv.dev/api/): querybatch for ids, then each record once. */
export function osvApi(baseUrl: string, timeoutMs = 15_000): AdvisorySource {
  const base = baseUrl.replace(/\/+$/, '');
  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let res;
    try {
      res = await request(`${base}${path}`, {
        method,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'error';
      throw new Error(`the OSV API at ${base} is not reachable (${code}): pass --osv-db DIR with an offline OSV export`, { cause: error });
    }
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`the OSV API at ${base} answered ${res.statusCode} for ${path}`);
    return JSON.parse(text) as T;
  }
  return {
    async advisoriesFor(packages) {
      const ids: string[][] = [];
      for (let i = 0; i < packages.length; i += BATCH) {
        const chunk = packages.slice(i, i + BATCH);
        const answer = await call<{ results: { vulns?: { id: string }[] }[] }>('POST', '/v1/querybatch', {
          queries: chunk.map((p) => ({ package: { name: p.name, ecosystem: p.ecosystem }, version: p.version })),
        });
        ids.push(...chunk.map((_, j) => (answer.results[j]?.vulns ?? []).map((v) => v.id)));
      }
      const records = new Map<string, OsvRecord>();
      for (const id of new Set(ids.flat())) records.set(id, await call<OsvRecord>('GET', `/v1/vulns/${encodeURIComponent(id)}`));
      return packages.map((pkg, i) => (ids[i] ?? []).map((id) => toAdvisory(records.get(id) as OsvRecord, pkg)));
    },
  };
}
