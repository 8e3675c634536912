import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:https';
import type { Config } from '../config/load.js';
import { createLogger } from '../observe/logger.js';
import type { Logger } from '../observe/logger.js';
import { createMetrics } from '../observe/metrics.js';
import type { Metrics } from '../observe/metrics.js';
import { adminTokenResolver, ensureAdminToken } from '../admin/admin-tokens.js';
import { createAdminHandler } from '../admin/admin-handler.js';
import { openApiDocument } from '../admin/openapi.js';
import { ADMIN_OPERATIONS } from '../admin/registry.js';
import type { AccountDeps } from '../accounts/deps.js';
import { sweepSessions } from '../accounts/sessions.js';
import { ensureOwnerSetup } from '../accounts/users.js';
import { createConsoleHandler } from '../console/handler.js';
import { createConsoleSessions } from '../console/session-actor.js';
import type { ConsoleSessions } from '../console/session-actor.js';
import { DEFAULT_CONSOLE_DIR } from '../console/static-files.js';
import { createSsoHandler, SSO_PREFIX } from '../console/sso/handler.js';
import { passwordLoginAllowed } from '../console/sso/sso-only.js';
import { recordLastUsed } from '../credentials/repository.js';
import type { CredentialDeps } from '../credentials/deps.js';
import { KeyVerifier } from '../credentials/verify-key.js';
import { Keyring } from '../crypto/keyring.js';
import { CoalescingQueue } from '../observe/coalescing-queue.js';
import { SecurityEvents } from '../observe/security-events.js';
import { countSecurityEvents } from '../observe/security-metrics.js';
import { RefusalAudit } from '../observe/refusal-audit.js';
import { createAuthenticateStage } from '../pipeline/authenticate.js';
import { DpopVerifier } from '../credentials/dpop.js';
import { SigningKeys } from '../credentials/signing-keys.js';
import { TokenDenyList } from '../credentials/token-deny-list.js';
import { TokenVerifier } from '../credentials/verify-token.js';
import { createOAuthHandler } from '../oauth/router.js';
import { ClientAuthThrottle } from '../oauth/throttle.js';
import { createClientIpResolver } from '../pipeline/identify.js';
import { createAuthorizeStage } from '../pipeline/authorize.js';
import { createDataPlaneHandler } from '../pipeline/data-plane.js';
import { createUpstreams } from '../pipeline/forward.js';
import { compileRoutes } from '../pipeline/route.js';
import { createAuthGuard } from '../pipeline/brute-force.js';
import { createSignatureStages } from '../pipeline/signature.js';
import { createStageCompiler } from '../pipeline/stages.js';
import { SigningKeyResolver } from '../credentials/request-signing-keys.js';
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
import type { Database } from '../store/sql.js';
import { beginStart } from './early-start.js';
import type { Handler, PortNames, StartBegun } from './early-start.js';
import { urlFor, useCertificate } from './listener.js';
import { startOperations } from './operations.js';
import { workerCount } from './workers.js';
import type { Operations } from './operations.js';

export interface GatewayOptions {
  readonly config: Config;
  readonly logger?: Logger;
  readonly env?: NodeJS.ProcessEnv;
  /** Injected in tests to move through expiry and grace periods without sleeping. */
  readonly clock?: Clock;
  /** For tests on a shared PostgreSQL: an isolated schema. */
  readonly databaseSchema?: string;
  /** What a busy port's message tells the user to change (default: the config keys). */
  readonly portNames?: PortNames;
  /** The ports already bound and the store opening (`beginStart`, as `portcullis start` does); else begun here. */
  readonly begun?: StartBegun;
  /**
   * Whether this process makes the console's one-time setup link while no owner has enrolled (default
   * true). With several workers only the first does: each new link replaces the last.
   */
  readonly consoleSetup?: boolean;
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
  /** The token signing keys and the access-token verifier (for the demo, tests and benchmarks). */
  readonly oauth: { readonly keys: SigningKeys; readonly tokens: TokenVerifier; readonly issuer: string };
  /** Security operations: access records, audit seal, alerts. */
  readonly operations: Operations;
  /** The web console: its sessions (for single sign-on) and, until an owner has enrolled, the one-time setup link. */
  readonly console: { readonly sessions: ConsoleSessions; readonly setupUrl: string | undefined };
  /** Writes pending last-used times and allow-list refusal records now (they are otherwise batched). */
  flushUsage(): Promise<void>;
  /** Stops accepting, lets in-flight requests finish (up to drainTimeout), then releases everything. */
  stop(): Promise<void>;
}

function trackInFlight(server: Server) {
  let inFlight = 0;
  let idle: (() => void) | undefined;
  // One handler for every response ('close' comes once per response): no closure or once-wrapper per request.
  const closed = () => {
    inFlight--;
    if (inFlight === 0) idle?.();
  };
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    res.on('close', closed);
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

export { StartError } from './early-start.js';
export type { PortNames } from './early-start.js';

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ level: config.log.level });
  const metrics = createMetrics();
  const env = options.env ?? process.env;
  const begun = options.begun ?? (await beginStart({ config, logger, env, ...(options.portNames ? { portNames: options.portNames } : {}), ...(options.databaseSchema ? { databaseSchema: options.databaseSchema } : {}) }));
  const { dataServer, adminServer, port, adminPort, tls, caFile, masterKeys } = begun;
  const dataFlight = trackInFlight(dataServer);
  const adminFlight = trackInFlight(adminServer);

  try {
    const db = await begun.database;
    const clock = options.clock ?? systemClock;
    const keyring = await Keyring.open(db, masterKeys.keys);
    await ensureAdminToken(db, config.dataDir, logger, new Date(clock()));

    // One event API for every security event; its first listener moves the metrics, operations adds the rest.
    const securityEvents = new SecurityEvents((error, event) => logger.error({ event: event.kind, err: { message: (error as Error).message } }, 'a security-event listener failed'));
    securityEvents.on(countSecurityEvents(metrics));
    const redis = config.redis ? await connectRedis(config.redis.url, config.redis.keyPrefix, logger, { commandTimeout: config.redis.commandTimeout }) : undefined;
    const { rateLimits, nonces } = traffic(config, redis, securityEvents);
    const bus = config.database
      ? await createPostgresChangeBus({ url: config.database.url, logger })
      : createInProcessChangeBus();
    // A rotation at another instance (or events missed while the bus reconnected): re-read the active data key.
    bus.subscribe((event) => {
      if (event.kind !== 'keyring' && event.kind !== 'resync') return;
      keyring.refresh().catch((error: Error) => logger.error({ err: { message: error.message } }, 'could not re-read the active data key'));
    });
    const credentials: CredentialDeps = { db, bus, clock, policy: config.keys };
    const verifier = new KeyVerifier({ db, bus, clock, policy: config.keys, positiveTtlMs: config.keys.cacheFor });
    const requestSigningKeys = new SigningKeyResolver(db, keyring, bus);
    const openStore = db;
    const lastUsed = new CoalescingQueue<string, number>({ name: 'last-used', write: (batch) => recordLastUsed(openStore, batch), maxKeys: 50_000, intervalMs: 5_000, metrics, logger });
    lastUsed.start();
    const refusals = new RefusalAudit(db, { maxKeys: 1_000, intervalMs: 5_000, clock, metrics, logger });
    refusals.start();
    const operations = await startOperations({ config, db, keyring, clock, metrics, logger, env, credentials, securityEvents });

    // The issuer is the data plane's own URL unless configured: known once the listener has its port.
    const site = { issuer: config.oauth.issuer ?? '' };
    const issuer = () => site.issuer;
    const audience = () => config.oauth.audience ?? site.issuer;
    const tokenKeys = await SigningKeys.open({ db, keyring, bus, clock, algorithm: config.oauth.signingAlgorithm });
    const denyList = await TokenDenyList.open(db, bus, clock);
    const tokens = new TokenVerifier({ db, bus, clock, keys: tokenKeys, denyList, issuer, audience });
    const resolveClientIp = createClientIpResolver(config.trustedProxies);
    const dpop = new DpopVerifier(clock);
    const oauthFor = createOAuthHandler({
      db, clock, keys: tokenKeys, denyList, tokens, throttle: new ClientAuthThrottle(), dpop, logger, events: securityEvents, issuer, audience,
      accessTokenLifetimeMs: config.oauth.accessTokenLifetime,
      loginUrl: config.oauth.loginUrl,
      clientIp: (req) => resolveClientIp(req.socket.remoteAddress, req.headers['x-forwarded-for']),
    });

    let draining = false;
    const ready = async () => !draining && (await (db as Database).ping());
    // Redis down is reported, not fatal: the insurance limiter holds the limits meanwhile (docs/rate-limits.md).
    const dependencies = async (): Promise<Record<string, 'up' | 'down'>> => (redis ? { redis: (await redis.ping()) ? 'up' : 'down' } : {});
    const routes = compileRoutes(config.services);
    const breakerEvents = {
      circuit: (service: string, open: boolean) => {
        metrics.upstreamCircuitOpen.set({ service }, open ? 1 : 0);
        logger.warn({ service }, open ? 'upstream circuit opened: failing fast until the cooldown ends' : 'upstream circuit closed');
      },
      shortCircuited: (service: string) => metrics.upstreamShortCircuited.inc({ service }),
    };
    const upstreams = createUpstreams(config.services, breakerEvents);
    const stagesFor = createStageCompiler({
      services: config.services,
      routes,
      rateLimits,
      events: securityEvents,
      authenticate: createAuthenticateStage({
        verifier, tokens: { verifier: tokens, dpop, origin: () => new URL(issuer()).origin }, clock, events: securityEvents, logger,
        guard: createAuthGuard({ policy: config.bruteForce, store: rateLimits, events: securityEvents, logger, clock }),
      }),
      authorize: createAuthorizeStage({ metrics, logger, refusals }),
      signature: createSignatureStages({ keys: requestSigningKeys, nonces, clock, events: securityEvents, logger }),
    });
    const dataPlane = createDataPlaneHandler({
      routes,
      upstreams,
      limits: { maxBodyBytes: config.limits.maxBodyBytes, bodyTimeout: config.limits.bodyTimeout, sendTimeout: config.limits.sendTimeout, allowUnderscoreHeaders: config.headers.allowUnderscores },
      trustedProxies: config.trustedProxies,
      logger,
      metrics,
      accessLog: config.log.access,
      stagesFor,
      dependencies,
      // A use is a request let through by every stage; a refused one (a 403 from an allow-list) is not.
      admitted: (ctx) => {
        if (ctx.principal?.credentialKind === 'api-key') lastUsed.set(ctx.principal.credentialId, clock());
      },
      ready,
      isDraining: () => draining,
      onFinish: operations.onFinish,
      tracer: operations.tracer,
    });
    const handleData: Handler = (req, res) => (oauthFor(req.url) ?? dataPlane)(req, res);
    let selfUrl = '';
    const accounts: AccountDeps = { db, keyring, clock, policy: { ...config.console.session, ...config.console.login, setupLinkLifetime: config.console.setupLinkLifetime, totpIssuer: config.console.totpIssuer },
      // With console.sso.only, a password sign-in is refused (as a wrong password) but for the break-glass owners.
      passwordLoginAllowed: (attempt) => passwordLoginAllowed(config.console.sso, attempt) };
    const consoleSessions = createConsoleSessions(accounts);
    let apiDocument: Record<string, unknown> | undefined; // built on first request: no cost at start
    const adminApi = createAdminHandler({
      operations: ADMIN_OPERATIONS,
      services: {
        credentials, keyring, signingKeys: tokenKeys, flow: { db, clock, denyList }, issuer, alerts: operations.alerts,
        flushAccess: operations.flush, describeApi: () => (apiDocument ??= openApiDocument(ADMIN_OPERATIONS)),
        accounts, config, self: () => ({ url: selfUrl, ca: caFile ? readFileSync(caFile) : undefined }),
      },
      resolvers: [adminTokenResolver(db, clock), consoleSessions.resolveActor],
      metrics,
      logger,
      ready,
    });
    const consoleFor = config.console.enabled
      ? createConsoleHandler({ accounts, logger, staticDir: DEFAULT_CONSOLE_DIR, clientIp: (req) => resolveClientIp(req.socket.remoteAddress, req.headers['x-forwarded-for']) })
      : () => undefined;
    const ssoConfig = config.console.enabled ? config.console.sso : undefined;
    const sso = ssoConfig
      ? createSsoHandler({
          sso: ssoConfig, source: config.source, db, logger, env: options.env,
          // A verified SSO identity gets an active console session: the IdP enforces MFA (docs/sso.md).
          startSession: (req, res, id) => consoleSessions.startSession(req, res, { ssoSubject: `${id.provider}:${id.subject}`, role: id.role, mfaDone: true }),
        })
      : undefined;
    const consoleOrApi = (req: IncomingMessage, res: ServerResponse) => (consoleFor(req.url) ?? adminApi)(req, res);
    // SSO answers under /console/sso/ before the console, which answers every other path under /console/.
    const handleAdmin: Handler = sso
      ? (req, res) => {
          if (!req.url?.startsWith(SSO_PREFIX)) return consoleOrApi(req, res);
          void sso.handle(req, res, randomUUID()).then((handled) => {
            if (!handled) consoleOrApi(req, res);
          });
        }
      : consoleOrApi;
    const sweep = setInterval(() => {
      sweepSessions(accounts).catch((error: Error) => logger.warn({ err: { message: error.message } }, 'could not remove expired console sessions'));
    }, 10 * 60_000);
    sweep.unref();
    begun.serve(handleData, handleAdmin);
    useCertificate(dataServer, tls);
    useCertificate(adminServer, tls);
    const url = urlFor(config.listen.host, port);
    selfUrl = url;
    const adminUrl = urlFor(config.admin.host, adminPort);
    site.issuer ||= url;
    if (!config.oauth.issuer && ['0.0.0.0', '::'].includes(config.listen.host)) {
      logger.warn({ issuer: site.issuer }, 'oauth.issuer is not set and the data plane listens on every address: set oauth.issuer to the public URL clients use (e.g. oauth: { issuer: https://api.example.com })');
    }
    logger.info({ url, adminUrl, store: config.database ? 'postgres' : 'embedded' }, 'gateway started');
    // The link carries its token in the fragment, which browsers never send: it is printed by the start
    // command, never logged.
    const setup = config.console.enabled && options.consoleSetup !== false ? await ensureOwnerSetup(accounts) : undefined;
    const setupUrl = setup ? `${adminUrl}/console/setup#token=${setup.token}` : undefined;
    if (setup) logger.info({ expiresAt: setup.expiresAt.toISOString() }, 'no console owner has enrolled yet: the start command printed a one-time setup link');

    let stopping: Promise<void> | undefined;
    async function stop(): Promise<void> {
      draining = true;
      clearInterval(sweep);
      // Answers while draining say `Connection: close`, so clients stop reusing connections about to go.
      for (const server of [dataServer, adminServer]) {
        server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => (res.shouldKeepAlive = false));
      }
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
      tokens.close();
      denyList.close();
      requestSigningKeys.close();
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
      oauth: { keys: tokenKeys, tokens, issuer: site.issuer },
      operations,
      console: { sessions: consoleSessions, setupUrl },
      flushUsage: async () => {
        await lastUsed.flush();
        await refusals.flush();
      },
      stop: () => (stopping ??= stop()),
    };
  } catch (error) {
    await begun.abort();
    throw error;
  }
}

/**
 * Rate-limit and nonce state: in process for one instance, Redis for many. Each decision the insurance
 * limiter takes is a security event (counted, and logged at most every 10 s by operations).
 */
function traffic(config: Config, redis: RedisConnection | undefined, events: SecurityEvents): { rateLimits: RateLimitStore; nonces: NonceStore } {
  if (!redis || !config.redis) return { rateLimits: createMemoryRateLimitStore(), nonces: createMemoryNonceStore() };
  // Each worker process is an instance: the insurance limiter's share is limit / (instances x workers).
  const rateLimits = createRedisRateLimitStore(redis, config.redis.instances * workerCount(config.workers), {
    onInsurance: (limit, error) => events.emit({ kind: 'insurance_limiter', limit, error }),
  });
  return { rateLimits, nonces: createRedisNonceStore(redis) };
}
