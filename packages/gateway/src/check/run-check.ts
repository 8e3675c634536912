import { existsSync, statSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import ipaddr from 'ipaddr.js';
import { request } from 'undici';
import type { Agent } from 'undici';
import type { Config } from '../config/load.js';
import { ADMIN_TOKEN_FILE } from '../lib/data-dir.js';
import type { Finding, Rule } from '../lib/findings.js';
import { loadPg, withDefaultUser } from '../store/postgres.js';
import { CHECK_RULES as R } from './rules.js';
import { WEAK_TLS12_CIPHERS, handshake } from './tls-probe.js';

export interface CheckTarget {
  readonly config: Config;
  /** The config file, for findings about it. */
  readonly configPath: string;
  /** The data plane's base URL (https). */
  readonly url: string;
  readonly env: NodeJS.ProcessEnv;
  /** PEM CA bundle to validate the gateway's certificate with (else the system trust store). */
  readonly ca?: Buffer;
  /** An HTTPS agent that validates against the same trust. */
  readonly agent: Agent;
  /** GET on the admin API (authenticated), or undefined when no admin token is available. */
  readonly adminGet?: (path: string) => Promise<unknown>;
  readonly now?: number;
}

const DAY = 86_400_000;
const MIN_HSTS_AGE = 31_536_000; // one year, the usual floor for preload-grade HSTS

type Check = (target: CheckTarget) => Promise<Finding[]>;

const at = (target: CheckTarget) => relative(process.cwd(), target.configPath) || target.configPath;

/** TLS protocol versions, suites, chain and expiry, and HSTS: what a client of the data plane sees. */
const checkTls: Check = async (target) => {
  const { hostname, port } = new URL(target.url);
  const host = hostname.replace(/^\[|\]$/g, '');
  const p = Number(port || 443);
  const main = await handshake(host, p, { ...(target.ca ? { ca: target.ca } : {}), minVersion: 'TLSv1.2' });
  if (!main.ok) return [{ rule: R.gatewayUnreachable, message: `TLS handshake with ${target.url} failed (${main.error})` }];
  const findings: Finding[] = [];
  const lenient = { ciphers: 'ALL:@SECLEVEL=0' };
  for (const version of ['TLSv1', 'TLSv1.1'] as const) {
    const old = await handshake(host, p, { ...lenient, minVersion: version, maxVersion: version });
    if (old.ok) findings.push({ rule: R.oldTls, message: `${target.url} accepts ${version === 'TLSv1' ? 'TLS 1.0' : 'TLS 1.1'}` });
  }
  const weak = await handshake(host, p, { ...lenient, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: `${WEAK_TLS12_CIPHERS}:@SECLEVEL=0` });
  if (weak.ok) findings.push({ rule: R.weakCipher, message: `${target.url} accepts ${weak.cipher} with TLS 1.2` });
  if (!main.authorized) findings.push({ rule: R.untrustedCert, message: `${target.url}: ${main.authorizationError ?? 'certificate not trusted'}` });
  if (main.cert?.valid_to) {
    const days = Math.floor((Date.parse(main.cert.valid_to) - (target.now ?? Date.now())) / DAY);
    if (days < 30) {
      findings.push({
        rule: R.certExpiry,
        severity: days < 0 ? 'critical' : days < 14 ? 'high' : 'medium',
        message: days < 0 ? `the certificate of ${target.url} expired ${-days} day(s) ago` : `the certificate of ${target.url} expires in ${days} day(s)`,
      });
    }
  }
  try {
    const res = await request(`${target.url.replace(/\/+$/, '')}/healthz`, { dispatcher: target.agent, headersTimeout: 5_000, bodyTimeout: 5_000 });
    await res.body.dump();
    const hsts = String(res.headers['strict-transport-security'] ?? '');
    const maxAge = Number(/max-age=(\d+)/i.exec(hsts)?.[1] ?? 0);
    if (maxAge < MIN_HSTS_AGE) findings.push({ rule: R.hsts, message: hsts ? `Strict-Transport-Security max-age is ${maxAge}s (under one year)` : `${target.url} sends no Strict-Transport-Security header` });
  } catch (error) {
    if (main.authorized) findings.push({ rule: R.gatewayUnreachable, message: `GET ${target.url}/healthz failed (${(error as { code?: string }).code ?? 'error'})` });
  }
  return findings;
};

/** The admin listener on loopback or a private network only; the token file for the owner only. */
const checkAdminExposure: Check = async (target) => {
  const findings: Finding[] = [];
  const host = target.config.admin.host;
  if (ipaddr.isValid(host)) {
    const range = ipaddr.process(host).range();
    if (!['loopback', 'private', 'uniqueLocal', 'linkLocal'].includes(range)) {
      findings.push({ rule: R.adminPublic, file: at(target), message: `admin.host is ${host} (${range === 'unspecified' ? 'every interface' : 'a public address'})` });
    }
  } else if (host !== 'localhost') {
    findings.push({ rule: R.adminPublic, severity: 'medium', file: at(target), message: `admin.host is the name ${host}: make sure it resolves to a loopback or private address only` });
  }
  const tokenFile = join(target.config.dataDir, ADMIN_TOKEN_FILE);
  if (existsSync(tokenFile) && (statSync(tokenFile).mode & 0o077) !== 0) {
    findings.push({ rule: R.adminTokenMode, message: `${tokenFile} has mode ${(statSync(tokenFile).mode & 0o777).toString(8)}` });
  }
  return findings;
};

/** With PostgreSQL, the master key must not sit on disk next to the data it protects. */
const checkMasterKey: Check = async (target) => {
  const { config, env } = target;
  if (!config.database) return [];
  const findings: Finding[] = [];
  const dataDir = resolve(config.dataDir);
  const leftover = join(dataDir, 'master.key');
  if (existsSync(leftover)) findings.push({ rule: R.masterKeyBesideData, message: `${leftover} exists while the data is in PostgreSQL` });
  const keyFile = env.PORTCULLIS_MASTER_KEY_FILE;
  if (keyFile && resolve(keyFile).startsWith(`${dataDir}/`)) findings.push({ rule: R.masterKeyBesideData, message: `PORTCULLIS_MASTER_KEY_FILE is inside dataDir (${keyFile})` });
  else if (keyFile) {
    const dbHost = new URL(config.database.url).hostname;
    if (['localhost', '127.0.0.1', '::1', '[::1]', ''].includes(dbHost)) {
      findings.push({ rule: R.masterKeyBesideData, severity: 'medium', message: `the master key is a file (${keyFile}) on the same host as the database (${dbHost})` });
    }
  }
  return findings;
};

/** Every non-public route sits behind a rate limit. */
const checkRateLimits: Check = async (target) =>
  target.config.services.flatMap((service, i) => {
    const exposed = service.routes.filter((r) => !r.public);
    const limited = Boolean((service as { rateLimit?: unknown }).rateLimit);
    return exposed.length > 0 && !limited
      ? [{ rule: R.noRateLimit, file: at(target), message: `services[${i}] (${service.name}) has ${exposed.length} non-public route(s) and no rateLimit` }]
      : [];
  });

/** Keys past their rotation age (from the admin API) and the configured maximum age. */
const checkKeys: Check = async (target) => {
  const findings: Finding[] = [];
  if (target.config.keys.maxAge > 90 * DAY) findings.push({ rule: R.keyMaxAgeLong, file: at(target), message: `keys.maxAge is ${Math.round(target.config.keys.maxAge / DAY)}d` });
  if (!target.adminGet) return findings;
  const { keys } = (await target.adminGet('/keys')) as { keys: { id: string; consumerId: string; status: string; rotationDue: boolean; createdAt: string }[] };
  for (const key of keys) {
    if (key.status === 'active' && key.rotationDue) {
      findings.push({ rule: R.keyRotationDue, message: `key ${key.id} (consumer ${key.consumerId}) was created ${key.createdAt.slice(0, 10)} and is due for rotation` });
    }
  }
  return findings;
};

const checkAudit: Check = async (target) => {
  if (!target.adminGet) return [];
  const result = (await target.adminGet('/audit/verify')) as { ok: boolean; message?: string; records: number };
  return result.ok ? [] : [{ rule: R.auditBroken, message: result.message ?? 'the audit chain does not verify' }];
};

function redisPing(url: string, timeoutMs = 3_000): Promise<string | undefined> {
  return new Promise((done) => {
    const u = new URL(url);
    const options = { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 6379) };
    const socket = u.protocol === 'rediss:' ? tlsConnect({ ...options, servername: options.host }) : netConnect(options);
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    function finish(problem: string | undefined): void {
      clearTimeout(timer);
      socket.destroy();
      done(problem);
    }
    socket.once(u.protocol === 'rediss:' ? 'secureConnect' : 'connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    // +PONG, or -NOAUTH when a password is required: either way the server answers.
    socket.once('data', (chunk: Buffer) => finish(/^[+-]/.test(chunk.toString('latin1')) ? undefined : 'unexpected answer'));
    socket.once('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
  });
}

const checkStores: Check = async (target) => {
  const findings: Finding[] = [];
  const dbUrl = target.env.PORTCULLIS_DATABASE_URL ?? target.config.database?.url;
  if (dbUrl) {
    const { Client } = await loadPg();
    const client = new Client({ connectionString: withDefaultUser(dbUrl), connectionTimeoutMillis: 3_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
    } catch (error) {
      findings.push({ rule: R.storeUnreachable, message: `PostgreSQL at ${new URL(dbUrl).host} is not reachable (${(error as { code?: string }).code ?? 'error'})` });
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  const redisUrl = target.env.PORTCULLIS_REDIS_URL ?? target.config.redis?.url;
  if (redisUrl) {
    const problem = await redisPing(redisUrl);
    if (problem) findings.push({ rule: R.storeUnreachable, message: `Redis at ${new URL(redisUrl).host} is not reachable (${problem})` });
  }
  return findings;
};

/** One item of the checklist: what it looks at, the rules it may report, and the check itself. */
export interface ChecklistItem {
  readonly name: string;
  readonly rules: readonly Rule[];
  readonly run: Check;
}

/**
 * The production checklist. To add an item (console MFA, once the console has its settings): add its
 * rule to CHECK_RULES (rules.ts: severity, explanation, fix), a `Check` above that returns findings of
 * it, and an entry here; test/check/check.test.ts then requires it in docs/operations.md's table.
 */
export const CHECKLIST: readonly ChecklistItem[] = [
  { name: 'TLS and HSTS', rules: [R.oldTls, R.weakCipher, R.untrustedCert, R.certExpiry, R.hsts, R.gatewayUnreachable], run: checkTls },
  { name: 'admin exposure', rules: [R.adminPublic, R.adminTokenMode], run: checkAdminExposure },
  { name: 'master key', rules: [R.masterKeyBesideData], run: checkMasterKey },
  { name: 'rate limits', rules: [R.noRateLimit], run: checkRateLimits },
  { name: 'key ages', rules: [R.keyMaxAgeLong, R.keyRotationDue], run: checkKeys },
  { name: 'audit chain', rules: [R.auditBroken], run: checkAudit },
  { name: 'stores', rules: [R.storeUnreachable], run: checkStores },
];

/** Runs every check; a check that cannot run at all (the admin API is down) becomes a finding too. */
export async function runChecks(target: CheckTarget): Promise<Finding[]> {
  const results = await Promise.all(
    CHECKLIST.map(({ run }) =>
      run(target).catch((error: Error): Finding[] => [{ rule: R.gatewayUnreachable, message: `a check could not run: ${error.message}` }]),
    ),
  );
  return results.flat();
}
