import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * A freshly initialised, empty PGlite cluster, dumped at build time (scripts/build-pglite-template.js).
 * PGlite's initdb takes several seconds; restoring this dump into a new data directory takes a fraction
 * of one. It holds no data of ours (migrations run after), and is tied to the PGlite version that made it.
 */
export function templatePath(): string {
  // The package exports no ./package.json: find it beside the resolved entry point.
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const root = entry.slice(0, entry.lastIndexOf('@electric-sql/pglite') + '@electric-sql/pglite'.length);
  const version = (JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string }).version;
  // From src/store or dist/store alike, this names packages/gateway/dist/.
  return fileURLToPath(new URL(`../../dist/pglite-template-${version}.tar`, import.meta.url));
}

export function loadTemplate(): Blob | undefined {
  const path = templatePath();
  return existsSync(path) ? new Blob([readFileSync(path)]) : undefined;
}
