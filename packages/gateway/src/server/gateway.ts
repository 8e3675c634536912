import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { Config } from '../config/load.js';
import { createLogger } from '../observe/logger.js';
import type { Logger } from '../observe/logger.js';
import { createMetrics } from '../observe/metrics.js';
import type { Metrics } from '../observe/metrics.js';
import { ensureAdminToken } from '../admin/admin-tokens.js';
import { createAdminHandler } from '../admin/admin-handler.js';
import { adminRoutes } from '../admin/routes.js';
import { recordLastUsed } from '../credentials/repository.js';
import type { CredentialDeps } from '../credentials/deps.js';
import { KeyVerifier } from '../credentials/verify-key.js';
import { loadMasterKeys } from '../crypto/master-key.js';
import { Keyring } from '../crypto/keyring.js';
import { LastUsedQueue } from '../observe/last-used-queue.js';
import { RefusalAudit } from '../observe/refusal-audit.js';
import { createAuthenticateStage } from '../pipeline/authenticate.js';
import { createAuthorizeStage } from '../pipeline/authorize.js';
import { createDataPlaneHandler } from '../pipeline/data-plane.js';
import type { Stage } from '../pipeline/data-plane.js';
import { createUpstreams } from '../pipeline/forward.js';
import { compileRoutes } from '../pipeline/route.js';
import { createInProcessChangeBus } from '../state/change-bus.js';
import { createPostgresChangeBus } from '../state/postgres-change-bus.js';
import { systemClock } from '../state/clock.js';
import type { Clock } from '../state/clock.js';
import { openDatabase } from '../store/open.js';
import type { Database } from '../store/sql.js';
import { ensureDevCertificates } from './dev-ca.js';
import { createListener, listen, urlFor } from './listener.js';
import { loadTlsFiles } from './tls.js';
import { startOperations } from './operations.js';
import type { Operations } from './operations.js';

export interface GatewayOptions {
  readonly config: Config;
  readonly logger?: Logger;
  readonly env?: NodeJS.ProcessEnv;
  /** Injected in tests to move through expiry and grace periods without sleeping. */
  readonly clock?: Clock;
  /** For tests on a shared PostgreSQL: an isolated schema. */
  readonly databaseSchema?: string;
}

export interface Gateway {
  readonly url: string;
  readonly adminUrl: string;
  /** The dev CA's certificate file when `tls: auto`, for `curl --cacert`. */
  readonly caFile: string | undefined;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly db: Database;
  readonly keyring: Keyring;
  /** The credential operations, as the admin API runs them (for the demo and tests). */
  readonly credentials: CredentialDeps;
  /** Security operations: access records, audit seal, alerts. */
  readonly operations: Operations;
  /** Writes pending last-used times and allow-list refusal records now (they are otherwise batched). */
  flushUsage(): Promise<void>;
  /** Stops accepting, lets in-flight requests finish (up to drainTimeout), then releases everything. */
  stop(): Promise<void>;
}

function trackInFlight(server: Server) {
  let inFlight = 0;
  let idle: (() => void) | undefined;
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0) idle?.();
    });
  });
  return {
    whenIdle: (timeoutMs: number) =>
      new Promise<boolean>((resolve) => {
        if (inFlight === 0) return resolve(true);
        const timer = setTimeout(() => resolve(false), timeoutMs);
        idle = () => {
          clearTimeout(timer);
          resolve(true);
        };
      }),
  };
}

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ level: config.log.level });
  const metrics = createMetrics();
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });

  let tls: { cert: string; key: string };
  let caFile: string | undefined;
  if (config.tls === 'auto') {
    const dev = await ensureDevCertificates({ dir: join(config.dataDir, 'tls'), hostnames: [config.listen.host, config.admin.host] });
    tls = { cert: dev.cert, key: dev.key };
    caFile = dev.caCertPath;
    if (dev.created) logger.info({ caFile }, 'created a development CA and certificate (tls: auto)');
  } else {
    tls = await loadTlsFiles(config.tls.cert, config.tls.key);
  }

  const env = options.env ?? process.env;
  const clock = options.clock ?? systemClock;
  const masterKeys = await loadMasterKeys({ env, dataDir: config.dataDir, allowCreate: !config.database });
  if (masterKeys.created) logger.warn({ keyFile: masterKeys.created }, 'created a master key file (mode 0600): back it up, it encrypts secrets at rest');
  const db = await openDatabase({
    dataDir: config.dataDir,
    ...(config.database ? { url: config.database.url } : {}),
    ...(options.databaseSchema ? { schema: options.databaseSchema } : {}),
  });
  const keyring = await Keyring.open(db, masterKeys.keys);
  await ensureAdminToken(db, config.dataDir, logger, new Date(clock()));

  if (config.redis) logger.warn('redis.url is set but not used yet: change events travel over PostgreSQL; rate limits and nonces arrive with traffic policies');
  const bus = config.database ? await createPostgresChangeBus({ url: config.database.url, logger }) : createInProcessChangeBus();
  // A rotation at another instance (or events missed while the bus reconnected): re-read the active data key.
  bus.subscribe((event) => {
    if (event.kind !== 'keyring' && event.kind !== 'resync') return;
    keyring.refresh().catch((error: Error) => logger.error({ err: { message: error.message } }, 'could not re-read the active data key'));
  });
  const credentials: CredentialDeps = { db, bus, clock, policy: config.keys };
  const verifier = new KeyVerifier({ db, bus, clock, policy: config.keys });
  const lastUsed = new LastUsedQueue((batch) => recordLastUsed(db, batch), { maxKeys: 50_000, intervalMs: 5_000, metrics, logger });
  lastUsed.start();
  const refusals = new RefusalAudit(db, { maxKeys: 1_000, intervalMs: 5_000, clock, metrics, logger });
  refusals.start();
  const operations = await startOperations({ config, db, keyring, clock, metrics, logger, env, credentials });

  let draining = false;
  const ready = async () => !draining && (await db.ping());
  const upstreams = createUpstreams(config.services);
  const stages: Stage[] = [createAuthenticateStage({ verifier, clock, lastUsed, metrics, logger }), createAuthorizeStage({ metrics, logger, refusals })];
  const dataPlane = createDataPlaneHandler({
    routes: compileRoutes(config.services),
    upstreams,
    limits: { maxBodyBytes: config.limits.maxBodyBytes, bodyTimeout: config.limits.bodyTimeout, allowUnderscoreHeaders: config.headers.allowUnderscores },
    trustedProxies: config.trustedProxies,
    logger,
    metrics,
    accessLog: config.log.access,
    stages,
    ready,
    isDraining: () => draining,
    onFinish: operations.onFinish,
    tracer: operations.tracer,
  });
  const listenerLimits = {
    tls,
    maxHeaderBytes: config.limits.maxHeaderBytes,
    headersTimeout: config.limits.headersTimeout,
    bodyTimeout: config.limits.bodyTimeout,
    handshakeTimeout: config.limits.handshakeTimeout,
    keepAliveTimeout: config.limits.keepAliveTimeout,
    logger,
  };
  const dataServer = createListener({ name: 'data-plane', ...listenerLimits }, dataPlane);
  const adminServer = createListener(
    { name: 'admin', ...listenerLimits },
    createAdminHandler({ db, routes: [...adminRoutes(credentials, keyring), ...operations.routes], metrics, logger, ready }),
  );
  const dataFlight = trackInFlight(dataServer);
  const adminFlight = trackInFlight(adminServer);

  const port = await listen(dataServer, config.listen.host, config.listen.port);
  const adminPort = await listen(adminServer, config.admin.host, config.admin.port);
  const url = urlFor(config.listen.host, port);
  const adminUrl = urlFor(config.admin.host, adminPort);
  logger.info({ url, adminUrl, store: config.database ? 'postgres' : 'embedded' }, 'gateway started');

  let stopping: Promise<void> | undefined;
  async function stop(): Promise<void> {
    draining = true;
    dataServer.close();
    adminServer.close();
    dataServer.closeIdleConnections();
    adminServer.closeIdleConnections();
    const drained = (await Promise.all([dataFlight.whenIdle(config.drainTimeout), adminFlight.whenIdle(config.drainTimeout)])).every(Boolean);
    if (!drained) logger.warn({ drainTimeout: config.drainTimeout }, 'drain timeout reached; closing remaining connections');
    dataServer.closeAllConnections();
    adminServer.closeAllConnections();
    await Promise.all(upstreams.map((u) => u.pool.close()));
    await lastUsed.close();
    await refusals.close();
    await operations.close();
    verifier.close();
    await bus.close();
    await db.close();
    logger.info('gateway stopped');
    logger.flush();
  }

  return {
    url,
    adminUrl,
    caFile,
    logger,
    metrics,
    db,
    keyring,
    credentials,
    operations,
    flushUsage: async () => {
      await lastUsed.flush();
      await refusals.flush();
    },
    stop: () => (stopping ??= stop()),
  };
}
