import { boundedCache } from '../lib/bounded-cache.js';
import type { Database } from '../store/sql.js';
import type { Clock } from '../state/clock.js';
import { recordAlert } from './alert-repository.js';
import { newAlert } from './alerts.js';
import type { Alert } from './alerts.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { deliverWebhook } from './webhooks.js';
import type { WebhookTarget } from './webhooks.js';

export interface AlertDispatcherOptions {
  readonly db: Database;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly webhooks: readonly WebhookTarget[];
  /** The same rule for the same subject is raised again only after this. */
  readonly cooldownMs: number;
  readonly delivery?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number; timeoutMs?: number };
}

/** Deliveries in flight at most; past that a delivery is skipped (the alert is still logged and stored). */
const MAX_IN_FLIGHT = 100;

/**
 * Where an alert goes: the log (warn), the alerts table and the audit log (one transaction), the
 * `portcullis_alerts_total` metric, and every configured webhook, signed (RFC 9421) and retried with
 * backoff in the background. Repeats of one rule for one subject within the cooldown are dropped.
 */
export function createAlertDispatcher(options: AlertDispatcherOptions) {
  const { db, clock, logger, metrics, webhooks } = options;
  const lastRaised = boundedCache<string, number>({ max: 50_000 });
  const inFlight = new Set<Promise<unknown>>();
  const storing = new Set<Promise<unknown>>();

  function track(work: Promise<unknown>, set = inFlight): void {
    set.add(work);
    void work.finally(() => set.delete(work));
  }

  function raise(fields: Omit<Alert, 'id' | 'at'>, cooldownMs = options.cooldownMs): Alert | undefined {
    const now = clock();
    const key = `${fields.rule} ${fields.subject}`;
    const last = lastRaised.get(key);
    if (last !== undefined && now - last < cooldownMs) return undefined;
    lastRaised.set(key, now);
    const alert = newAlert(fields, new Date(now));
    logger.warn({ alert: { id: alert.id, rule: alert.rule, severity: alert.severity, subject: alert.subject, detail: alert.detail } }, `alert: ${alert.message}`);
    metrics.alerts.inc({ rule: alert.rule });
    track(recordAlert(db, alert).catch((error: Error) => logger.error({ alertId: alert.id, err: { message: error.message } }, 'could not store an alert')), storing);
    const body = JSON.stringify({ type: 'portcullis.alert', alert: { id: alert.id, at: alert.at.toISOString(), rule: alert.rule, severity: alert.severity, subject: alert.subject, message: alert.message, detail: alert.detail } });
    for (const target of webhooks) {
      if (inFlight.size >= MAX_IN_FLIGHT) {
        metrics.webhookFailures.inc();
        continue;
      }
      track(
        deliverWebhook(target, body, {
          attempts: options.delivery?.attempts ?? 5,
          baseDelayMs: options.delivery?.baseDelayMs ?? 1_000,
          maxDelayMs: options.delivery?.maxDelayMs ?? 60_000,
          timeoutMs: options.delivery?.timeoutMs ?? 10_000,
          logger,
          onGiveUp: () => metrics.webhookFailures.inc(),
          // Receivers check `created` against their own wall clock: signatures use real time.
          now: () => new Date(),
        }),
      );
    }
    return alert;
  }

  return {
    raise,
    /** Resolves when every alert raised so far is stored (and, with `deliveries`, delivered or given up). */
    async settle(options: { deliveries?: boolean } = {}): Promise<void> {
      while (storing.size > 0 || (options.deliveries && inFlight.size > 0)) await Promise.allSettled([...storing, ...(options.deliveries ? inFlight : [])]);
    },
  };
}

export type AlertDispatcher = ReturnType<typeof createAlertDispatcher>;
