import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import type { ConfigInput } from '../../../src/config/schema.js';
import { validateConfig } from '../../../src/config/load.js';
import { createSsoHandler } from '../../../src/console/sso/handler.js';
import type { SsoIdentity } from '../../../src/console/sso/identity.js';
import { captureLogs } from '../../helpers/log-capture.js';
import { openDatabase } from '../../../src/store/open.js';
import type { Database } from '../../../src/store/sql.js';
import { ensureDevCertificates } from '../../../src/server/dev-ca.js';
import type { DevCertificates } from '../../../src/server/dev-ca.js';
import { randomSchema, testDatabaseUrl } from '../../helpers/postgres.js';

/**
 * The console's SSO endpoints on a real HTTPS server (as the admin listener serves them), with a
 * `startSession` that records who signed in and answers as the console would (a cookie, a redirect).
 * `instances` servers share one store: PostgreSQL when the suite has one (separate pools, as separate
 * gateway processes), else one embedded database.
 */

export interface Signed {
  identity: SsoIdentity;
  /** The Cookie header of that request: what the console would end (session rotation). */
  heldCookie: string | undefined;
}

export interface SsoInstance {
  readonly origin: string;
  readonly signedIn: Signed[];
  readonly logLines: string[];
}

export interface SsoHarness {
  readonly dir: string;
  readonly certs: DevCertificates;
  readonly instances: SsoInstance[];
  /** Writes a file in the harness folder (certificates, secrets) and returns its path. */
  file(name: string, content: string): string;
  /** A fresh browser (its own cookies) that trusts the harness CA; closed with the harness. */
  browser(): TestBrowser;
  /** Starts the SSO servers for this `console.sso` configuration. */
  start(sso: NonNullable<NonNullable<ConfigInput['console']>['sso']>, env?: NodeJS.ProcessEnv, count?: number): Promise<SsoInstance[]>;
  close(): Promise<void>;
}

/** A port picked up front, so the ACS and redirect URLs can be written into the configuration. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export async function createSsoHarness(): Promise<SsoHarness & { ports: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-sso-'));
  const certs = await ensureDevCertificates({ dir: join(dir, 'tls') });
  const ports = [await freePort(), await freePort(), await freePort()];
  const servers: Server[] = [];
  const databases: Database[] = [];
  const instances: SsoInstance[] = [];
  const browsers: TestBrowser[] = [];
  const schema = randomSchema('pc_sso');

  const openStore = async (): Promise<Database> => {
    if (testDatabaseUrl) return openDatabase({ url: testDatabaseUrl, dataDir: dir, schema });
    if (databases[0]) return databases[0];
    return openDatabase({ dataDir: join(dir, 'data') });
  };

  return {
    dir,
    certs,
    ports,
    instances,
    file(name, content) {
      const path = join(dir, name);
      writeFileSync(path, content, { mode: 0o600 });
      return path;
    },
    browser() {
      const made = new TestBrowser(certs.ca);
      browsers.push(made);
      return made;
    },
    async start(sso, env = {}, count = 1) {
      const config = validateConfig({ console: { sso } }, 'test.yaml', dir, env);
      const started: SsoInstance[] = [];
      for (let n = 0; n < count; n++) {
        const i = instances.length;
        const db = await openStore();
        if (!databases.includes(db)) databases.push(db);
        const { logger, lines: logLines } = captureLogs();
        const instance: SsoInstance = { origin: `https://127.0.0.1:${ports[i]}`, signedIn: [], logLines };
        const handler = createSsoHandler({
          sso: config.console.sso as NonNullable<typeof config.console.sso>,
          source: 'test.yaml',
          db,
          logger,
          env,
          // As the console's does: a session cookie on `res`; SSO writes the redirect.
          startSession: async (req, res, identity) => {
            instance.signedIn.push({ identity, heldCookie: req.headers.cookie });
            res.setHeader('set-cookie', `__Host-portcullis-session=${randomUUID()}; Path=/; Secure; HttpOnly; SameSite=Strict`);
          },
        });
        const server = createServer({ cert: certs.cert, key: certs.key }, (req, res) => {
          const requestId = randomUUID();
          handler.handle(req, res, requestId).then(
            (handled) => {
              if (!handled) res.writeHead(404).end();
            },
            () => res.destroy(),
          );
        });
        await new Promise<void>((resolve) => server.listen(ports[i], '127.0.0.1', resolve));
        servers.push(server);
        instances.push(instance);
        started.push(instance);
      }
      return started;
    },
    async close() {
      for (const made of browsers) await made.close();
      for (const server of servers) await new Promise((resolve) => server.close(resolve));
      for (const db of databases) await db.close();
      if (testDatabaseUrl) {
        const { dropSchema } = await import('../../helpers/postgres.js');
        await dropSchema(schema);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  location: string | null;
  text: string;
  setCookies: string[];
}

/**
 * What a browser does that the tests need: a cookie jar (by name; ports share cookies as in a browser)
 * and redirects followed by hand, so each hop can be looked at. Validates TLS against the dev CA.
 */
export class TestBrowser {
  readonly cookies = new Map<string, string>();
  private readonly agent: Agent;

  constructor(ca: string) {
    this.agent = new Agent({ connect: { ca } });
  }

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await undiciFetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual', dispatcher: this.agent });
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const location = res.headers.get('location');
    return { status: res.status, location: location === null ? null : new URL(location, url).href, text: await res.text(), setCookies };
  }

  /** Follows redirects from `url` until a page that is not a redirect, or a URL matching `stopAt`. */
  async follow(url: string, stopAt?: (url: string) => boolean): Promise<Reply & { url: string }> {
    let current = url;
    for (let hop = 0; hop < 15; hop++) {
      const reply = await this.request(current);
      if (reply.status < 300 || reply.status >= 400 || !reply.location) return { ...reply, url: current };
      if (stopAt?.(reply.location)) return { ...reply, url: current };
      current = reply.location;
    }
    throw new Error(`too many redirects from ${url}`);
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
