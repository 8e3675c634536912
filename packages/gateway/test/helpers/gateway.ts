import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { expect, vi } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { startGateway } from '../../src/server/gateway.js';
import type { Gateway } from '../../src/server/gateway.js';
import type { Clock } from '../../src/state/clock.js';
import { captureLogs } from './log-capture.js';
import { startRecordingUpstream } from './upstream.js';

export interface TestGateway {
  gateway: Gateway;
  dataDir: string;
  ca: Buffer;
  logs: ReturnType<typeof captureLogs>;
  /** A real HTTPS client that validates the gateway's certificate against the dev CA. */
  agent: Agent;
  call(path: string, options?: CallOptions): Promise<Reply>;
  admin(path: string, options?: CallOptions): Promise<Reply>;
  stop(): Promise<void>;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => unknown;
}

export type CallOptions = Partial<Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'body'>> & {
  body?: string | Buffer | AsyncIterable<Buffer>;
};

async function send(agent: Agent, origin: string, path: string, options: CallOptions = {}): Promise<Reply> {
  const res = await request(`${origin}${path}`, { dispatcher: agent, ...options } as Parameters<typeof request>[1]);
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as unknown };
}

/** Starts a real gateway over TLS (tls: auto) on ephemeral ports, in a temp dataDir, with captured logs. */
export interface TestGatewayOptions {
  /** A fake clock, to move through expiry and grace periods without sleeping. */
  clock?: () => number;
  /** With PostgreSQL: the schema to keep tables in (several gateways may share one). */
  databaseSchema?: string;
}

export async function startTestGateway(
  input: Partial<ConfigInput> = {},
  env: NodeJS.ProcessEnv = {},
  options: TestGatewayOptions = {},
): Promise<TestGateway> {
  const launched = await launch(input, env, options);
  const { gateway, agent } = launched;
  return {
    ...launched,
    call: (path, opts) => send(agent, gateway.url, path, opts),
    admin: (path, opts) => send(agent, gateway.adminUrl, path, opts),
    async stop() {
      await gateway.stop();
      await agent.close();
      rmSync(launched.dataDir, { recursive: true, force: true });
    },
  };
}

/** The one way tests start a gateway: a temp dataDir, ephemeral ports, tls: auto, captured logs. */
async function launch(input: Partial<ConfigInput>, env: NodeJS.ProcessEnv, options: TestGatewayOptions & StartOptions) {
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-test-'));
  // Most tests send many bad credentials from one address on purpose: brute-force blocking stays out of
  // their way unless a test configures it (test/pipeline/brute-force.test.ts).
  const bruteForce = { ipFailures: 100_000, credentialFailures: 100_000, slowAfter: 100_000 };
  const config = validateConfig({ listen: { port: 0 }, admin: { port: 0 }, tls: 'auto', dataDir, bruteForce, ...input }, 'test', dataDir, env);
  const logs = captureLogs();
  if (options.freezeIntervals) vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  let gateway: Gateway;
  try {
    gateway = await startGateway({
      config,
      logger: logs.logger,
      env,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.databaseSchema ? { databaseSchema: options.databaseSchema } : {}),
    });
  } finally {
    if (options.freezeIntervals) vi.useRealTimers();
  }
  const ca = readFileSync(gateway.caFile as string);
  const agent = new Agent({ connect: { ca } });
  return { gateway, dataDir, ca, logs, agent };
}

export const DAY = 86_400_000;
export const HOUR = 3_600_000;
export const PROBLEM = 'urn:portcullis:problem:';

/** Time that moves only when a test says so: expiry, grace and key age without sleeping. */
export class FakeClock {
  constructor(public now = Date.now()) {}
  readonly read: Clock = () => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

export type Upstream = Awaited<ReturnType<typeof startRecordingUpstream>>;

export interface IssuedKey {
  id: string;
  key: string;
  [field: string]: unknown;
}

export interface CredentialGateway {
  gateway: Gateway;
  dataDir: string;
  ca: Buffer;
  clock: FakeClock;
  upstream: Upstream;
  logs: ReturnType<typeof captureLogs>;
  agent: Agent;
  /** The owner token the gateway wrote to dataDir/admin.token at first start. */
  adminToken: string;
  call(path: string, options?: CallOptions): Promise<Reply>;
  /** A call with the key as `Authorization: Bearer`. */
  callWith(key: string, path?: string, options?: CallOptions): Promise<Reply>;
  /** An admin API call, authenticated with the admin token unless headers say otherwise. */
  admin(method: 'GET' | 'POST', path: string, body?: unknown, options?: CallOptions): Promise<Reply>;
  createConsumer(name?: string): Promise<string>;
  createKey(body: Record<string, unknown>): Promise<IssuedKey>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /**
   * Keeps the last-used queue's periodic flush from ever firing, so a test can tell a write caused by
   * `flushUsage()` from one the 5 s timer happened to make. (The queue is the one user of the global
   * setInterval while the gateway starts; Node's servers use their own timers.)
   */
  freezeIntervals?: boolean;
  /** The environment the gateway reads (secrets named by the config). */
  env?: NodeJS.ProcessEnv;
}

/** The routes the credential tests call: one per scope, and one public. */
export function companiesService(upstreamUrl: string): NonNullable<ConfigInput['services']>[number] {
  return {
    name: 'companies',
    upstream: upstreamUrl,
    routes: [
      { match: 'GET /companies/*', scopes: ['companies:read'] },
      { match: 'POST /companies', scopes: ['companies:write'] },
      { match: 'GET /public', public: true },
    ],
  };
}

let names = 0;

/**
 * A real gateway over TLS (tls: auto) on ephemeral ports with a fake clock, a recording upstream behind
 * the `companies` service and captured logs. `configure` gets the upstream URL and returns config input.
 */
export async function startCredentialGateway(
  configure: (upstreamUrl: string) => Partial<ConfigInput> = (url) => ({ services: [companiesService(url)] }),
  options: StartOptions = {},
): Promise<CredentialGateway> {
  const upstream = await startRecordingUpstream();
  const clock = new FakeClock();
  const { gateway, dataDir, ca, logs, agent } = await launch(configure(upstream.url), options.env ?? {}, { clock: clock.read, ...options });
  const adminToken = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();

  /** Header values given as undefined are left out, e.g. `{ authorization: undefined }` for no token. */
  const admin: CredentialGateway['admin'] = (method, path, body, extra = {}) => {
    const headers: Record<string, string | undefined> = {
      authorization: `Bearer ${adminToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(extra.headers as Record<string, string | undefined> | undefined),
    };
    for (const name of Object.keys(headers)) if (headers[name] === undefined) delete headers[name];
    return send(agent, gateway.adminUrl, path, {
      method,
      ...extra,
      headers: headers as Record<string, string>,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  };

  return {
    gateway,
    dataDir,
    ca,
    clock,
    upstream,
    logs,
    agent,
    adminToken,
    admin,
    call: (path, opts) => send(agent, gateway.url, path, opts),
    callWith: (key, path = '/companies/1', opts = {}) =>
      send(agent, gateway.url, path, { ...opts, headers: { authorization: `Bearer ${key}`, ...(opts.headers as Record<string, string> | undefined) } }),
    async createConsumer(name = `consumer-${process.pid}-${++names}`) {
      const reply = await admin('POST', '/admin/v1/consumers', { name });
      expect(reply.status, reply.text).toBe(201);
      return (reply.json() as { id: string }).id;
    },
    async createKey(body) {
      const reply = await admin('POST', '/admin/v1/keys', body);
      expect(reply.status, reply.text).toBe(201);
      return reply.json() as IssuedKey;
    },
    async stop() {
      await gateway.stop();
      await agent.close();
      await upstream.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Asserts an RFC 9457 problem with our type, the status, and the request id as `instance`. */
export function expectProblem(reply: Reply, status: number, code: string): Record<string, unknown> {
  expect(reply.status, reply.text).toBe(status);
  expect(reply.headers['content-type']).toBe('application/problem+json');
  const body = JSON.parse(reply.text) as Record<string, unknown>;
  expect(body).toMatchObject({ type: `${PROBLEM}${code}`, status });
  expect(body.instance).toBe(reply.headers['x-request-id']);
  return body;
}
