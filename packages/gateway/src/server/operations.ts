import type { Config } from '../config/load.js';
import { sealAuditHead } from '../observe/audit-seal.js';
import type { Keyring } from '../crypto/keyring.js';
import { toKeyObject } from '../crypto/wrap.js';
import { insertAccessRecords, purgeAccessRecords } from '../observe/access-records.js';
import { AccessRecordQueue } from '../observe/access-record-queue.js';
import type { AccessRecord } from '../observe/access-records.js';
import type { Logger } from '../observe/logger.js';
import { registerAgeGauges } from '../observe/metrics.js';
import type { Metrics } from '../observe/metrics.js';
import { propagatingTracer } from '../observe/tracing.js';
import type { RequestTracer } from '../observe/tracing.js';
import { activeKeyAges, clientSecretAges } from '../credentials/key-ages.js';
import { keysPastWarningAge, rememberKeyNetwork } from '../credentials/key-watch.js';
import type { CredentialDeps } from '../credentials/deps.js';
import { createAlertDispatcher } from '../observe/alert-dispatcher.js';
import { createAnomalyRules } from '../observe/anomaly-rules.js';
import type { SecurityEvents } from '../observe/security-events.js';
import { createSecurityAudit } from '../observe/security-audit.js';
import type { WebhookTarget } from '../observe/webhooks.js';
import type { Clock } from '../state/clock.js';
import type { Database } from '../store/sql.js';

/** How often expired access records are deleted. */
const PURGE_EVERY_MS = 10 * 60_000;
/** How often the audit chain's head is re-sealed: the window in which new records are protected by the chain alone. */
const SEAL_EVERY_MS = 5_000;

export interface OperationsOptions {
  readonly config: Config;
  readonly db: Database;
  readonly keyring: Keyring;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly env: NodeJS.ProcessEnv;
  readonly credentials: CredentialDeps;
  /** The one event API the OAuth server and the traffic policies report to (metrics are counted by its first listener). */
  readonly securityEvents: SecurityEvents;
}

/** Webhook secrets come from the environment, never from the config file. */
function webhookTargets(config: Config, env: NodeJS.ProcessEnv): WebhookTarget[] {
  return config.alerts.webhooks.map((hook, i) => {
    const secret = env[hook.secretEnv];
    if (!secret || secret.length < 32) {
      throw new TypeError(
        `alerts.webhooks[${i}].secretEnv: set ${hook.secretEnv} in the environment to the webhook's shared HMAC secret (at least 32 characters), e.g. ${hook.secretEnv}=$(openssl rand -base64 32)`,
      );
    }
    return { url: hook.url, keyId: hook.keyId, secret: toKeyObject(Buffer.from(secret, 'utf8')), ...(hook.ca ? { ca: hook.ca } : {}) };
  });
}

/**
 * Security operations, wired once at start: access records (a bounded batched queue, retention), and
 * the alerts the admin operations read. The data plane gets `recordAccess`; everything else runs beside it.
 */
export async function startOperations(options: OperationsOptions) {
  const { config, db, clock, metrics, logger } = options;
  const alerts = createAlertDispatcher({ db, clock, logger, metrics, webhooks: webhookTargets(config, options.env), cooldownMs: config.alerts.cooldown });
  const { securityEvents } = options;
  const rules = createAnomalyRules(config.alerts, (fields) => alerts.raise(fields), (keyId, consumerId, network, clientIp) => {
    rememberKeyNetwork(db, keyId, network, new Date(clock()))
      .then(({ firstTime, knownBefore }) => {
        if (!firstTime || knownBefore === 0) return;
        alerts.raise({
          rule: 'new-network',
          severity: 'medium',
          subject: `key:${keyId}`,
          message: `key ${keyId} of consumer ${consumerId} was used from ${network}, a network it has never been used from (${knownBefore} known)`,
          detail: { keyId, consumerId, network, clientIp, knownNetworks: knownBefore },
        });
      })
      .catch((error: Error) => logger.warn({ err: { message: error.message } }, 'could not record a key network'));
  });
  securityEvents.on((event) => rules.onEvent(event, clock()));
  const securityAudit = createSecurityAudit({ db, clock, metrics, logger });
  securityEvents.on(securityAudit.listener);
  securityAudit.start();

  /** Keys past keys.warnAge: one alert per key per day at most. */
  async function checkKeyAges(): Promise<void> {
    for (const key of await keysPastWarningAge(db, config.keys, clock())) {
      alerts.raise(
        {
          rule: 'key-age',
          severity: 'low',
          subject: `key:${key.id}`,
          message: `key ${key.id} of consumer ${key.consumerId} is ${Math.floor(key.ageMs / 86_400_000)} days old, past keys.warnAge: rotate it`,
          detail: { keyId: key.id, consumerId: key.consumerId, ageDays: Math.floor(key.ageMs / 86_400_000) },
        },
        Math.max(config.alerts.cooldown, 86_400_000),
      );
    }
  }
  const keyAgeTimer = setInterval(() => void checkKeyAges().catch((error: Error) => logger.warn({ err: { message: error.message } }, 'key age check failed')), config.alerts.keyAgeCheck);
  keyAgeTimer.unref();
  const access = config.accessRecords.enabled
    ? new AccessRecordQueue({ write: (batch) => insertAccessRecords(db, batch), maxRecords: config.accessRecords.queueSize, intervalMs: 5_000, metrics, logger })
    : undefined;
  access?.start();

  async function purge(): Promise<void> {
    try {
      const deleted = await purgeAccessRecords(db, new Date(clock() - config.accessRecords.retention));
      if (deleted > 0) logger.info({ deleted }, 'deleted access records past their retention');
    } catch (error) {
      logger.warn({ err: { message: (error as Error).message } }, 'could not delete old access records');
    }
  }
  const purgeTimer = setInterval(() => void purge(), PURGE_EVERY_MS);
  purgeTimer.unref();

  let sealBroken = false;
  let sealing: Promise<unknown> = Promise.resolve();
  function seal(firstSeal = false) {
    const run = sealing.then(async () => {
      const result = await sealAuditHead(db, options.keyring, { firstSeal });
      if (!result.ok && !sealBroken) {
        logger.error({ reason: result.reason, brokenAt: result.brokenAt }, 'audit log integrity check failed: not sealing over it (run `portcullis audit verify`)');
        alerts.raise({ rule: 'audit-integrity', severity: 'critical', subject: 'audit:chain', message: `audit log integrity check failed (${result.reason})`, detail: { reason: result.reason, brokenAt: result.brokenAt ?? null } });
      }
      sealBroken = !result.ok;
      return result;
    });
    sealing = run.catch((error: Error) => logger.warn({ err: { message: error.message } }, 'could not seal the audit head'));
    return run;
  }
  void seal(true).catch(() => undefined);
  const sealTimer = setInterval(() => void seal().catch(() => undefined), SEAL_EVERY_MS);
  sealTimer.unref();

  registerAgeGauges(metrics, {
    keyAges: () => activeKeyAges(db, config.keys, clock()),
    clientSecretAges: () => clientSecretAges(db, clock()),
    dataKeyAgeMs: async () => {
      const active = (await options.keyring.listDataKeys()).find((k) => k.active);
      return active ? clock() - active.createdAt.getTime() : undefined;
    },
  });
  // The OpenTelemetry SDK is loaded only when an endpoint is configured: off costs nothing.
  const otlp = config.telemetry.otlp;
  const tracer: RequestTracer = otlp ? (await import('../observe/otlp-tracer.js')).createOtlpTracer(otlp) : propagatingTracer;

  // Each service's latency children are looked up once (labels() keys them by their values).
  const latency = new Map<string, { whole: { observe(v: number): void }; upstream: { observe(v: number): void }; overhead: { observe(v: number): void } }>();
  function latencyOf(service: string) {
    let children = latency.get(service);
    if (!children) {
      children = { whole: metrics.requestDuration.labels(service), upstream: metrics.upstreamLatency.labels(service), overhead: metrics.gatewayOverhead.labels(service) };
      latency.set(service, children);
    }
    return children;
  }

  /** Every finished data-plane request: latency split and error metrics, then the access record. */
  function onFinish(record: Omit<AccessRecord, 'at'>): void {
    const service = record.service ?? '-';
    const histograms = latencyOf(service);
    histograms.whole.observe(record.latencyMs / 1000);
    if (record.upstreamMs !== null) {
      histograms.upstream.observe(record.upstreamMs / 1000);
      histograms.overhead.observe(Math.max(0, record.latencyMs - record.upstreamMs) / 1000);
      if (record.problem === 'bad-gateway' || record.problem === 'gateway-timeout' || record.problem === 'unavailable') {
        metrics.upstreamErrors.inc({ service, kind: record.problem });
      }
    }
    if (record.problem === 'forbidden' || record.problem === 'insufficient-scope') metrics.authzRefusals.inc({ service, kind: record.problem });
    const now = clock();
    access?.add(record, now);
    rules.onRequest(record, now);
  }

  return {
    onFinish,
    tracer,
    /** Other parts (OAuth, traffic policies) report security events here. */
    securityEvents,
    alerts,
    checkKeyAges,
    /** Writes queued records and audit summaries now (tests, and before an incident export). */
    flush: async () => {
      await access?.flush();
      await securityAudit.flush();
    },
    purge,
    /** Seals the audit chain's head now (it is otherwise sealed every few seconds). */
    seal,
    async close(): Promise<void> {
      clearInterval(purgeTimer);
      clearInterval(sealTimer);
      clearInterval(keyAgeTimer);
      await sealing;
      await tracer.close();
      await alerts.settle();
      await access?.close();
      await securityAudit.close();
    },
  };
}

export type Operations = Awaited<ReturnType<typeof startOperations>>;
