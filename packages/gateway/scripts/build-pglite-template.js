// Dumps an empty, initialised PGlite cluster into dist/, so new embedded stores start in well under a
// second instead of running initdb (several seconds). Run by `npm run build`; skipped when present.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { templatePath } from '../dist/store/embedded-template.js';

const path = templatePath();
if (!existsSync(path)) {
  const pg = await PGlite.create();
  const dump = await pg.dumpDataDir('none');
  await pg.close();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, Buffer.from(await dump.arrayBuffer()));
  renameSync(`${path}.tmp`, path);
  console.log(`built ${path}`);
}
