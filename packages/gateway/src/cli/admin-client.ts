import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Agent, request } from 'undici';
import { loadConfig } from '../config/load.js';
import { ADMIN_TOKEN_FILE, devCaFile } from '../lib/data-dir.js';
import { CliError } from './cli-error.js';

export interface AdminConnectionOptions {
  readonly adminUrl?: string;
  readonly config: string;
  readonly ca?: string;
}

interface Problem {
  title?: string;
  detail?: string;
  status?: number;
  errors?: { field: string; detail: string }[];
}

/**
 * Where the admin API is and how to prove who we are: the URL and dataDir from the config file (when it
 * exists), the token from PORTCULLIS_ADMIN_TOKEN or the 0600 token file the gateway wrote at first start.
 */
export function resolveAdminConnection(options: AdminConnectionOptions, env: NodeJS.ProcessEnv = process.env) {
  const configPath = resolve(options.config);
  const config = existsSync(configPath) ? loadConfig(configPath, env) : undefined;
  const dataDir = config?.dataDir ?? resolve('.portcullis');
  const host = config?.admin.host ?? '127.0.0.1';
  const adminUrl = options.adminUrl ?? env.PORTCULLIS_ADMIN_URL ?? `https://${host.includes(':') ? `[${host}]` : host}:${config?.admin.port ?? 8444}`;
  const devCa = devCaFile(dataDir);
  const caFile = options.ca ?? (existsSync(devCa) ? devCa : undefined);
  return { adminUrl: adminUrl.replace(/\/+$/, ''), token: readToken(dataDir, env), caFile };
}

function readToken(dataDir: string, env: NodeJS.ProcessEnv): string {
  if (env.PORTCULLIS_ADMIN_TOKEN) return env.PORTCULLIS_ADMIN_TOKEN.trim();
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  if (!existsSync(path)) {
    throw new CliError(`no admin token: set PORTCULLIS_ADMIN_TOKEN, or run this where the gateway's dataDir is (${path} not found)`);
  }
  if ((statSync(path).mode & 0o077) !== 0) throw new CliError(`refusing to use ${path}: it is readable by others; run \`chmod 600 ${path}\``);
  return readFileSync(path, 'utf8').trim();
}

export function createAdminClient(options: AdminConnectionOptions, env: NodeJS.ProcessEnv = process.env) {
  const { adminUrl, token, caFile } = resolveAdminConnection(options, env);
  // Certificate validation stays on: the dev CA when there is one, the system's trust store otherwise.
  const agent = new Agent({ connect: caFile ? { ca: readFileSync(caFile) } : {} });
  return async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown, options: { raw?: boolean } = {}): Promise<T> {
    let res;
    try {
      res = await request(`${adminUrl}/admin/v1${path}`, {
        method,
        dispatcher: agent,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'error';
      throw new CliError(`cannot reach the admin API at ${adminUrl} (${code}): is the gateway running? (--admin-url, --ca)`);
    }
    const text = await res.body.text();
    if (res.statusCode >= 400) {
      let problem: Problem = {};
      try {
        problem = JSON.parse(text) as Problem;
      } catch {
        // not problem+json: report the status alone
      }
      const fields = (problem.errors ?? []).map((e) => `\n  ${e.field}: ${e.detail}`).join('');
      throw new CliError(`${problem.title ?? `HTTP ${res.statusCode}`}${problem.detail ? `: ${problem.detail}` : ''}${fields}`);
    }
    return (options.raw ? text : JSON.parse(text)) as T;
  };
}
