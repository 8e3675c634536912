import { accessSync, constants, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { PortcullisError } from '../lib/errors.js';
import type { ConfigErrorCode } from '../lib/errors.js';
import { describeIssue, knownKeysAt } from './messages.js';
import { configSchema, REDIS_DEFAULTS } from './schema.js';
import type { ParsedConfig } from './schema.js';
import { configWarnings } from './warnings.js';
import { resolveSsoPaths } from './sso-schema.js';

export { formatPath } from './messages.js';

/** A configuration that cannot be used. The message names the key, what is wrong and an example. */
export class ConfigError extends PortcullisError<ConfigErrorCode> {
  override readonly name = 'ConfigError';
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super('invalid_config', `Invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * The configuration after validation: paths absolute, secrets merged from the environment, frozen.
 * `warnings` are settings that are valid but most likely not what was meant; the gateway logs them.
 */
export type Config = ParsedConfig & { readonly source: string; readonly warnings: readonly string[] };

/** Validates an already-parsed object. `baseDir` anchors relative paths (the config file's folder). */
export function validateConfig(input: unknown, source: string, baseDir: string, env: NodeJS.ProcessEnv = process.env): Config {
  const result = configSchema.safeParse(input ?? {}, { reportInput: true });
  if (!result.success) {
    throw new ConfigError(source, result.error.issues.map((issue) => describeIssue(issue, (path) => knownKeysAt(configSchema, path))));
  }
  const config = result.data;
  const problems: string[] = [];

  config.dataDir = resolve(baseDir, config.dataDir);
  if (config.tls !== 'auto') {
    config.tls = { cert: resolve(baseDir, config.tls.cert), key: resolve(baseDir, config.tls.key) };
    for (const key of ['cert', 'key'] as const) checkReadable(config.tls[key], `tls.${key}`, problems);
  }
  config.services.forEach((service, i) => {
    if (service.ca !== undefined) {
      service.ca = resolve(baseDir, service.ca);
      checkReadable(service.ca, `services[${i}].ca`, problems);
    }
  });
  resolveSsoPaths(config.console.sso, baseDir, problems);
  // Connection strings with passwords may only come from the environment (CONTRACT §2).
  if (env.PORTCULLIS_DATABASE_URL) config.database = { url: env.PORTCULLIS_DATABASE_URL };
  if (env.PORTCULLIS_REDIS_URL) config.redis = { ...REDIS_DEFAULTS, ...config.redis, url: env.PORTCULLIS_REDIS_URL };
  problems.push(...workerProblems(config));
  if (problems.length > 0) throw new ConfigError(source, problems);
  return deepFreeze({ ...config, source, warnings: configWarnings(config) });
}

/**
 * Several worker processes need state they can all reach: the embedded store is a file one process
 * owns, and limits, brute-force counters and nonces kept in process would be per worker (docs/configuration.md).
 */
function workerProblems(config: ParsedConfig): string[] {
  if (config.workers === 1) return [];
  const problems: string[] = [];
  if (!config.database) {
    problems.push(
      `workers: ${config.workers} needs the PostgreSQL store: the embedded store belongs to one process. Set database.url (or PORTCULLIS_DATABASE_URL), or set workers: 1`,
    );
  }
  if (!config.redis) {
    problems.push(
      `workers: ${config.workers} needs Redis so that rate limits, brute-force counters and signature nonces are shared by every worker. Set redis.url (or PORTCULLIS_REDIS_URL), or set workers: 1`,
    );
  }
  return problems;
}

function checkReadable(path: string, key: string, problems: string[]): void {
  try {
    accessSync(path, constants.R_OK);
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    problems.push(`${key}: the file ${path} ${why}; give the path of a readable PEM file, or use "tls: auto" for development`);
  }
}

/** Reads, parses and validates a YAML configuration file. Throws ConfigError with every problem found. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const fix =
      code === 'ENOENT'
        ? 'the file does not exist; run `portcullis init` to write one, or pass --config FILE'
        : `the file cannot be read (${code ?? 'error'}); check its permissions`;
    throw new ConfigError(path, [fix]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      path,
      doc.errors.map((e) => {
        const at = lineCounter.linePos(e.pos[0]);
        return `YAML syntax error at line ${at.line}, column ${at.col}: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  return validateConfig(doc.toJS(), path, dirname(path), env);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
