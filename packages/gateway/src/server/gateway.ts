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
import { createUpstreams } from '../pipeline/forward.js';
import { compileRoutes } from '../pipeline/route.js';
import { createAuthGuard } from '../pipeline/brute-force.js';
import type { BlockEvent } from '../pipeline/brute-force.js';
import { createSignatureStages } from '../pipeline/signature.js';
import { appendAudit } from '../observe/audit.js';
import { createStageCompiler } from '../pipeline/stages.js';
import { SigningKeyResolver } from '../credentials/signing-keys.js';
import { createMemoryNonceStore, createRedisNonceStore } from '../state/nonce-store.js';
import type { NonceStore } from '../state/nonce-store.js';
import { createMemoryRateLimitStore, createRedisRateLimitStore } from '../state/rate-limit-store.js';
import type { RateLimitStore } from '../state/rate-limit-store.js';
import { connectRedis } from '../state/redis.js';
import type { RedisConnection } from '../state/redis.js';
import { createInProcessChangeBus } from '../state/change-bus.js';
import { createPostgresChangeBus } from '../state/postgres-change-bus.js';
import { systemClock } from '../state/clock.js';
import type { Clock } from '../state/clock.js';
import { openDatabase } from '../store/open.js';
import type { Database } from '../store/sql.js';
import { ensureDevCertificates } from './dev-ca.js';
import { createListener, listen, urlFor } from './listener.js';
import { loadTlsFiles } from './tls.js';

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

  const redis = config.redis ? await connectRedis(config.redis.url, config.redis.keyPrefix, logger) : undefined;
  const { rateLimits, nonces } = traffic(config, redis, metrics, logger);
  const bus = config.database ? await createPostgresChangeBus({ url: config.database.url, logger }) : createInProcessChangeBus();
  // A rotation at another instance (or events missed while the bus reconnected): re-read the active data key.
  bus.subscribe((event) => {
    if (event.kind !== 'keyring' && event.kind !== 'resync') return;
    keyring.refresh().catch((error: Error) => logger.error({ err: { message: error.message } }, 'could not re-read the active data key'));
  });
  const credentials: CredentialDeps = { db, bus, clock, policy: config.keys };
  const verifier = new KeyVerifier({ db, bus, clock, policy: config.keys });
  const signingKeys = new SigningKeyResolver(db, keyring, bus);
  const lastUsed = new LastUsedQueue((batch) => recordLastUsed(db, batch), { maxKeys: 50_000, intervalMs: 5_000, metrics, logger });
  lastUsed.start();
  const refusals = new RefusalAudit(db, { maxKeys: 1_000, intervalMs: 5_000, clock, metrics, logger });
  refusals.start();

  let draining = false;
  const ready = async () => !draining && (await db.ping());
  // Redis down is reported, not fatal: the insurance limiter holds the limits meanwhile (docs/rate-limits.md).
  const dependencies = async (): Promise<Record<string, 'up' | 'down'>> => (redis ? { redis: (await redis.ping()) ? 'up' : 'down' } : {});
  const routes = compileRoutes(config.services);
  const upstreams = createUpstreams(config.services);
  const stagesFor = createStageCompiler({
    services: config.services,
    routes,
    rateLimits,
    metrics,
    authenticate: createAuthenticateStage({
      verifier, clock, lastUsed, metrics, logger,
      guard: createAuthGuard({ policy: config.bruteForce, store: rateLimits, metrics, logger, clock, onBlock: (event) => auditBlock(db, event, clock, logger) }),
    }),
    authorize: createAuthorizeStage({ metrics, logger, refusals }),
    signature: createSignatureStages({ keys: signingKeys, nonces, clock, metrics, logger }),
  });
  const dataPlane = createDataPlaneHandler({
    routes,
    upstreams,
    limits: { maxBodyBytes: config.limits.maxBodyBytes, bodyTimeout: config.limits.bodyTimeout, allowUnderscoreHeaders: config.headers.allowUnderscores },
    trustedProxies: config.trustedProxies,
    logger,
    metrics,
    accessLog: config.log.access,
    stagesFor,
    ready,
    dependencies,
    isDraining: () => draining,
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
    createAdminHandler({ db, routes: adminRoutes(credentials, keyring), metrics, logger, ready }),
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
    verifier.close();
    signingKeys.close();
    await bus.close();
    await redis?.close();
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
    flushUsage: async () => {
      await lastUsed.flush();
      await refusals.flush();
    },
    stop: () => (stopping ??= stop()),
  };
}

/**
 * Rate-limit and nonce state: in process for one instance, Redis for many. Each decision the insurance
 * limiter takes is counted; the log line is written at most every 10 s so an outage does not flood it.
 */
function traffic(config: Config, redis: RedisConnection | undefined, metrics: Metrics, logger: Logger): { rateLimits: RateLimitStore; nonces: NonceStore } {
  if (!redis || !config.redis) return { rateLimits: createMemoryRateLimitStore(), nonces: createMemoryNonceStore() };
  const instances = config.redis.instances;
  let lastLog = 0;
  const rateLimits = createRedisRateLimitStore(redis, instances, {
    onInsurance(limit, error) {
      metrics.rateLimitInsurance.inc();
      if (Date.now() - lastLog < 10_000) return;
      lastLog = Date.now();
      logger.warn({ limit, instances, err: { message: (error as Error)?.message } }, 'redis failed: rate limits enforced in process at this instance\'s share (limit / redis.instances)');
    },
  });
  return { rateLimits, nonces: createRedisNonceStore(redis) };
}

/** A brute-force block is a security event: it goes to the audit log (off the request path). */
function auditBlock(db: Database, event: BlockEvent, clock: Clock, logger: Logger): void {
  const entry = { actor: 'system', action: 'auth.block', target: `${event.kind}:${event.subject}`, detail: { failures: event.failures, blockSeconds: event.blockSeconds } };
  db.transaction((tx) => appendAudit(tx, entry, new Date(clock()))).catch((error: unknown) => {
    logger.error({ err: { message: (error as Error).message }, target: entry.target }, 'could not audit a brute-force block');
  });
}
