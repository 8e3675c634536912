import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Agent, request as undiciRequest } from 'undici';
import { readAdminSettings } from '../config/admin-settings.js';
import type { AdminSettings } from '../config/admin-settings.js';
import { ADMIN_TOKEN_FILE, devCaFile } from '../lib/data-dir.js';
import { CliError } from './cli-error.js';
import { flagForField } from './flags.js';

export interface AdminConnectionOptions {
  readonly adminUrl?: string;
  readonly config: string;
  readonly ca?: string;
  readonly dataDir?: string;
}

interface Problem {
  title?: string;
  detail?: string;
  status?: number;
  errors?: { field: string; detail: string }[];
}

/** Where a setting came from, in the words the user can change it with. */
interface Sourced<T> {
  readonly value: T;
  readonly source: string;
}

export interface AdminConnection {
  readonly adminUrl: Sourced<string>;
  readonly token: Sourced<string>;
  readonly caFile: string | undefined;
  readonly settings: AdminSettings;
  readonly dataDir: string;
}

/**
 * Where the admin API is and how to prove who we are: the admin address and dataDir from the config file
 * (only those keys are read), the token from PORTCULLIS_ADMIN_TOKEN or the 0600 token file the gateway
 * wrote at first start.
 */
export function resolveAdminConnection(options: AdminConnectionOptions, env: NodeJS.ProcessEnv = process.env): AdminConnection {
  const settings = readAdminSettings(options.config);
  const dataDir = options.dataDir ? resolve(options.dataDir) : settings.dataDir;
  const adminUrl = checkAdminUrl(pickAdminUrl(options, env, settings));
  const devCa = devCaFile(dataDir);
  const caFile = options.ca ? resolve(options.ca) : existsSync(devCa) ? devCa : undefined;
  if (caFile && !existsSync(caFile)) throw new CliError(`--ca: the file ${caFile} does not exist; give the CA certificate (PEM) that signed the admin listener's certificate`);
  return { adminUrl, token: readToken(dataDir, env, options.dataDir !== undefined), caFile, settings, dataDir };
}

function pickAdminUrl(options: AdminConnectionOptions, env: NodeJS.ProcessEnv, settings: AdminSettings): Sourced<string> {
  if (options.adminUrl) return { value: options.adminUrl, source: '--admin-url' };
  if (env.PORTCULLIS_ADMIN_URL) return { value: env.PORTCULLIS_ADMIN_URL, source: 'PORTCULLIS_ADMIN_URL' };
  const host = settings.adminHost === '0.0.0.0' || settings.adminHost === '::' ? '127.0.0.1' : settings.adminHost;
  const value = `https://${host.includes(':') ? `[${host}]` : host}:${settings.adminPort}`;
  return { value, source: settings.source ? `admin.host/admin.port in ${settings.source}` : 'the default (no config file found; pass --admin-url)' };
}

/** The admin API is HTTPS only; say so before connecting, in the words of where the URL came from. */
function checkAdminUrl(url: Sourced<string>): Sourced<string> {
  const text = url.value.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new CliError(`${url.source}: "${text}" has no scheme; the admin API is HTTPS, so write https://${text.replace(/^\/+/, '')}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new CliError(`${url.source}: "${text}" is not a URL; for example https://127.0.0.1:8444`);
  }
  if (parsed.protocol === 'http:') {
    throw new CliError(`${url.source}: the admin API is served over HTTPS only (TLS always); use https://${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`);
  }
  if (parsed.protocol !== 'https:') throw new CliError(`${url.source}: "${parsed.protocol}" is not supported; the admin API is at an https:// URL such as https://127.0.0.1:8444`);
  return { value: text.replace(/\/+$/, ''), source: url.source };
}

function readToken(dataDir: string, env: NodeJS.ProcessEnv, fromFlag: boolean): Sourced<string> {
  if (env.PORTCULLIS_ADMIN_TOKEN) return { value: env.PORTCULLIS_ADMIN_TOKEN.trim(), source: 'PORTCULLIS_ADMIN_TOKEN' };
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  if (!existsSync(path)) {
    const where = fromFlag ? '--data-dir' : 'dataDir (from --config, or --data-dir)';
    throw new CliError(`no admin token: ${path} not found. Set PORTCULLIS_ADMIN_TOKEN, or point ${where} at the gateway's data directory`);
  }
  if ((statSync(path).mode & 0o077) !== 0) throw new CliError(`refusing to use ${path}: it is readable by others; run \`chmod 600 ${path}\``);
  try {
    return { value: readFileSync(path, 'utf8').trim(), source: `the token file ${path}` };
  } catch (error) {
    throw new CliError(`cannot read the token file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}); run the command as the user that runs the gateway, or set PORTCULLIS_ADMIN_TOKEN`);
  }
}

const CERT_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_SIGNATURE_FAILURE',
]);

/** A connection failure, named by its actual cause and the flag that changes it. */
function connectionError(code: string, c: AdminConnection): CliError {
  const url = c.adminUrl.value;
  if (CERT_ERRORS.has(code)) {
    const against = c.caFile ? `the CA file ${c.caFile}` : "the system's trusted CAs (no --ca given, and no dev CA in dataDir)";
    return new CliError(
      `the certificate of ${url} does not verify against ${against} (${code}): pass --ca FILE with the CA that signed it; ` +
        `with \`tls: auto\` that is ${devCaFile(c.dataDir)} in the gateway's dataDir`,
    );
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'EPROTO' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    return new CliError(`${url} does not speak TLS (${code}): it is a plain-HTTP service, not the Portcullis admin API; check ${c.adminUrl.source}`);
  }
  if (code === 'ECONNREFUSED') {
    return new CliError(`nothing is listening at ${url} (ECONNREFUSED): is the gateway running? The URL comes from ${c.adminUrl.source}; change it with --admin-url`);
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new CliError(`the host of ${url} cannot be resolved (${code}); check ${c.adminUrl.source}`);
  return new CliError(`cannot reach the admin API at ${url} (${code}); is the gateway running? (${c.adminUrl.source}; --admin-url, --ca)`);
}

/** A refusal from the server, in the command line's words. */
function responseError(status: number, problem: Problem, c: AdminConnection): CliError {
  const port = new URL(c.adminUrl.value).port;
  const dataPlaneHint =
    port === String(c.settings.listenPort) && port !== String(c.settings.adminPort)
      ? `; note that ${port} is listen.port, the data plane: the admin API is on admin.port (${c.settings.adminPort})`
      : '';
  if (status === 401) {
    const fix = c.token.source === 'PORTCULLIS_ADMIN_TOKEN' ? 'unset it to use the token file, or set the token of this gateway' : 'is this the data directory of the gateway at that URL? (--data-dir, --config)';
    return new CliError(`the admin API at ${c.adminUrl.value} refused the admin token from ${c.token.source}: ${fix}${dataPlaneHint}`);
  }
  if (status === 404 && !problem.detail) {
    return new CliError(`${c.adminUrl.value} answered, but it is not the Portcullis admin API: is it the data-plane port? ` +
      `The admin API listens on admin.port (default 8444); change ${c.adminUrl.source}${dataPlaneHint}`);
  }
  if (status === 403) return new CliError(`the admin token from ${c.token.source} may not do this (${problem.detail ?? problem.title ?? 'Forbidden'}): use a token with a role that may`);
  if (problem.errors?.length) {
    return new CliError(`the gateway refused these values:${problem.errors.map((e) => `\n  ${flagForField(e.field)}: ${e.detail}`).join('')}`);
  }
  return new CliError(problem.detail ?? problem.title ?? `HTTP ${status}`);
}

export type AdminCall = <T>(method: 'GET' | 'POST', path: string, body?: unknown, options?: { raw?: boolean }) => Promise<T>;

export function createAdminClient(options: AdminConnectionOptions, env: NodeJS.ProcessEnv = process.env): AdminCall {
  const connection = resolveAdminConnection(options, env);
  const { adminUrl, token, caFile } = connection;
  // Certificate validation stays on: the dev CA when there is one, the system's trust store otherwise.
  const ca = caFile ? readFileSync(caFile) : undefined;
  // undici loads on the first call, not with the CLI: `portcullis start` does not wait for it.
  let client: Promise<{ agent: Agent; request: typeof undiciRequest }> | undefined;
  return async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown, options: { raw?: boolean } = {}): Promise<T> {
    client ??= import('undici').then(({ Agent, request }) => ({ agent: new Agent({ connect: ca ? { ca } : {} }), request }));
    const { agent, request } = await client;
    let res;
    try {
      res = await request(`${adminUrl.value}/admin/v1${path}`, {
        method,
        dispatcher: agent,
        headers: { authorization: `Bearer ${token.value}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw connectionError((error as { code?: string }).code ?? 'error', connection);
    }
    const text = await res.body.text();
    if (res.statusCode >= 400) {
      let problem: Problem = {};
      try {
        problem = JSON.parse(text) as Problem;
      } catch {
        // not problem+json: report the status alone
      }
      throw responseError(res.statusCode, problem, connection);
    }
    return (options.raw ? text : JSON.parse(text)) as T;
  };
}
