import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './load.js';
import { describeIssue, knownKeysAt } from './messages.js';

/**
 * What the admin commands need from the configuration file, and nothing more: where the admin listener
 * is, where the data directory is (token file, dev CA), and the data-plane port (to recognise it when
 * given as the admin URL). The rest of the file is not validated here: an operator must be able to run
 * `portcullis keys list` without read access to the server's TLS key or its upstream settings.
 */
export interface AdminSettings {
  /** The file they came from, or undefined when there was none (defaults apply). */
  readonly source: string | undefined;
  readonly adminHost: string;
  readonly adminPort: number;
  readonly listenPort: number;
  readonly dataDir: string;
}

const port = z.number().int().min(0).max(65535);
const portion = z.looseObject({
  admin: z.looseObject({ host: z.string().min(1).default('127.0.0.1'), port: port.default(8444) }).prefault({}),
  listen: z.looseObject({ port: port.default(8443) }).prefault({}),
  dataDir: z.string().min(1).default('./.portcullis'),
});

export function readAdminSettings(file: string): AdminSettings {
  const path = resolve(file);
  if (!existsSync(path)) {
    return { source: undefined, adminHost: '127.0.0.1', adminPort: 8444, listenPort: 8443, dataDir: resolve('.portcullis') };
  }
  let input: unknown;
  try {
    input = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(path, [code ? `the file cannot be read (${code}); check its permissions` : `YAML syntax error: ${(error as Error).message.split('\n')[0]}`]);
  }
  const result = portion.safeParse(input ?? {}, { reportInput: true });
  if (!result.success) throw new ConfigError(path, result.error.issues.map((issue) => describeIssue(issue, (p) => knownKeysAt(portion, p))));
  const { admin, listen, dataDir } = result.data;
  return { source: path, adminHost: admin.host, adminPort: admin.port, listenPort: listen.port, dataDir: resolve(dirname(path), dataDir) };
}
