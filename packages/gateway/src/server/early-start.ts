import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { Config } from '../config/load.js';
import { loadMasterKeys } from '../crypto/master-key.js';
import type { LoadedMasterKeys } from '../crypto/master-key.js';
import { PortcullisError } from '../lib/errors.js';
import type { ServerErrorCode } from '../lib/errors.js';
import type { Logger } from '../observe/logger.js';
import { openDatabase } from '../store/open.js';
import type { Database } from '../store/sql.js';
import { ensureDevCertificates } from './dev-ca.js';
import { createListener, listen } from './listener.js';
import { loadTlsFiles } from './tls.js';

/**
 * The first part of a start, in a module that loads little: bind both ports, read or create the TLS
 * material and the master key, then set the store opening. `portcullis start` runs it before it loads
 * the rest of the gateway, so the embedded store's start (PGlite, about 0.6 s) overlaps that loading
 * (docs/performance.md, "Startup"). `startGateway` runs it itself when not given one.
 */

/** What to change when a port cannot be bound, in the words of the interface used (config keys or flags). */
export interface PortNames {
  readonly listen: string;
  readonly admin: string;
}

/** A start that failed for a reason the operator fixes in the configuration (or a flag); the CLI exits with 2. */
export class StartError extends PortcullisError<ServerErrorCode> {
  override readonly name = 'StartError';
  constructor(message: string) {
    super('port_unavailable', message);
  }
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface BeginStartOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly env: NodeJS.ProcessEnv;
  readonly portNames?: PortNames;
  /** For tests on a shared PostgreSQL: an isolated schema. */
  readonly databaseSchema?: string;
}

export interface StartBegun {
  readonly dataServer: Server;
  readonly adminServer: Server;
  readonly port: number;
  readonly adminPort: number;
  readonly tls: { readonly cert: string; readonly key: string };
  /** The dev CA's certificate file when `tls: auto`. */
  readonly caFile: string | undefined;
  readonly masterKeys: LoadedMasterKeys;
  /** Opening and migrating; its failure is reported by whoever awaits it. */
  readonly database: Promise<Database>;
  /** Hands the listeners their handlers; until then every request is dropped (no certificate is set yet either). */
  serve(data: Handler, admin: Handler): void;
  /** Undoes everything begun: for a start that fails after this point. */
  abort(): Promise<void>;
}

export async function beginStart(options: BeginStartOptions): Promise<StartBegun> {
  const { config, logger } = options;
  for (const warning of config.warnings) logger.warn({ config: config.source }, warning);
  const names = options.portNames ?? { listen: `listen.port in ${config.source}`, admin: `admin.port in ${config.source}` };
  const fileTls = config.tls === 'auto' ? undefined : await loadTlsFiles(config.tls.cert, config.tls.key);

  // Both ports are bound before anything is written to disk: a start that fails on a busy port leaves
  // no CA, master key, token or lock behind. No handshake completes until the certificate is set.
  let handleData: Handler = (_req, res) => res.destroy();
  let handleAdmin: Handler = (_req, res) => res.destroy();
  const listenerLimits = {
    maxHeaderBytes: config.limits.maxHeaderBytes,
    headersTimeout: config.limits.headersTimeout,
    bodyTimeout: config.limits.bodyTimeout,
    handshakeTimeout: config.limits.handshakeTimeout,
    keepAliveTimeout: config.limits.keepAliveTimeout,
    logger,
  };
  const dataServer = createListener({ name: 'data-plane', ...listenerLimits }, (req, res) => handleData(req, res));
  const adminServer = createListener({ name: 'admin', ...listenerLimits }, (req, res) => handleAdmin(req, res));
  const closeListeners = () => {
    dataServer.close();
    adminServer.close();
  };
  let port: number;
  let adminPort: number;
  try {
    port = await bind(dataServer, names.listen, config.listen.host, config.listen.port);
    adminPort = await bind(adminServer, names.admin, config.admin.host, config.admin.port);
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    let tls: { cert: string; key: string };
    let caFile: string | undefined;
    if (fileTls) tls = fileTls;
    else {
      const dev = await ensureDevCertificates({ dir: join(config.dataDir, 'tls'), hostnames: [config.listen.host, config.admin.host] });
      tls = { cert: dev.cert, key: dev.key };
      caFile = dev.caCertPath;
      if (dev.created) logger.info({ caFile }, 'created a development CA and certificate (tls: auto)');
    }
    const masterKeys = await loadMasterKeys({ env: options.env, dataDir: config.dataDir, allowCreate: !config.database });
    if (masterKeys.created) logger.warn({ keyFile: masterKeys.created }, 'created a master key file (mode 0600): back it up, it encrypts secrets at rest');
    const database = openDatabase({
      dataDir: config.dataDir,
      ...(config.database ? { url: config.database.url } : {}),
      ...(options.databaseSchema ? { schema: options.databaseSchema } : {}),
    });
    // Awaited later; until then a failure must not count as an unhandled rejection.
    database.catch(() => undefined);
    return {
      dataServer, adminServer, port, adminPort, tls, caFile, masterKeys, database,
      serve(data, admin) {
        handleData = data;
        handleAdmin = admin;
      },
      async abort() {
        closeListeners();
        await database.then((db) => db.close()).catch(() => undefined);
      },
    };
  } catch (error) {
    closeListeners();
    throw error;
  }
}

async function bind(server: Server, name: string, host: string, port: number): Promise<number> {
  try {
    return await listen(server, host, port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new StartError(`port ${port} on ${host} is already in use: change ${name}, or stop the process that holds the port`);
    if (code === 'EACCES') throw new StartError(`port ${port} on ${host} needs privileges this process lacks: change ${name} to a port above 1023`);
    if (code === 'EADDRNOTAVAIL') throw new StartError(`${host} is not an address of this machine: change the host that goes with ${name}`);
    throw error;
  }
}
