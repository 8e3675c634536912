import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { startGateway } from '../../src/server/gateway.js';
import type { Gateway } from '../../src/server/gateway.js';
import { captureLogs } from './log-capture.js';

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
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-test-'));
  const config = validateConfig(
    { listen: { port: 0 }, admin: { port: 0 }, tls: 'auto', dataDir, ...input },
    'test',
    dataDir,
    env,
  );
  const logs = captureLogs();
  const gateway = await startGateway({ config, logger: logs.logger, env, ...options });
  const ca = readFileSync(gateway.caFile as string);
  const agent = new Agent({ connect: { ca } });
  return {
    gateway,
    dataDir,
    ca,
    logs,
    agent,
    call: (path, options) => send(agent, gateway.url, path, options),
    admin: (path, options) => send(agent, gateway.adminUrl, path, options),
    async stop() {
      await gateway.stop();
      await agent.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
