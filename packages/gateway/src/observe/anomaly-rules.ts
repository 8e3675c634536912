import { boundedCache } from '../lib/bounded-cache.js';
import type { AlertsConfig } from '../config/operations-schema.js';
import { clientNetwork } from '../http/ip-ranges.js';
import type { AccessRecord } from './access-records.js';
import type { Alert } from './alerts.js';
import type { SecurityEvent } from './security-events.js';

type Raise = (alert: Omit<Alert, 'id' | 'at'>) => void;

/** Every subject map is an LRU with a cap: an attacker cycling addresses cannot grow memory without bound. */
const MAX_SUBJECTS = 50_000;

/** Counts events per subject in a sliding window; true when the count reaches the threshold. */
class WindowCounter {
  readonly #hits = boundedCache<string, number[]>({ max: MAX_SUBJECTS });
  constructor(
    private readonly threshold: number,
    private readonly windowMs: number,
  ) {}

  hit(subject: string, now: number): number | undefined {
    const times = (this.#hits.get(subject) ?? []).filter((t) => t > now - this.windowMs);
    times.push(now);
    // Only the last `threshold` times matter for "threshold within the window".
    if (times.length > this.threshold) times.splice(0, times.length - this.threshold);
    this.#hits.set(subject, times);
    return times.length >= this.threshold ? times.length : undefined;
  }
}

export interface AnomalyRules {
  /** Every finished data-plane request. Synchronous and cheap: counters in memory. */
  onRequest(record: Omit<AccessRecord, 'at'>, now: number): void;
  onEvent(event: SecurityEvent, now: number): void;
}

/**
 * The in-memory anomaly rules: failure spikes per client IP and per consumer, a consumer's traffic
 * shifting suddenly, token-issuance failures per client, brute-force blocks. (A key used from a new
 * network needs its history from the store: `onNewNetwork` is called with each (key, network) pair seen
 * for the first time by this instance, and decides with the store.)
 */
export function createAnomalyRules(config: AlertsConfig, raise: Raise, onNewNetwork: (keyId: string, consumerId: string, network: string, clientIp: string) => void): AnomalyRules {
  const failures = new WindowCounter(config.failureSpike.failures, config.failureSpike.window);
  const tokenFailures = new WindowCounter(config.tokenFailures.failures, config.tokenFailures.window);
  const seenNetworks = boundedCache<string, true>({ max: MAX_SUBJECTS });
  // (key, address) pairs already placed in a network: the steady state costs one map lookup, no parse.
  const seenAddresses = boundedCache<string, true>({ max: MAX_SUBJECTS });
  const traffic = boundedCache<string, { window: number; count: number; previous: number; alerted: boolean }>({ max: MAX_SUBJECTS });

  function failure(subject: string, now: number, what: string, detail: Record<string, unknown>): void {
    const count = failures.hit(subject, now);
    if (count === undefined) return;
    raise({
      rule: 'failure-spike',
      severity: 'high',
      subject,
      message: `${count} ${what} within ${config.failureSpike.window / 1000}s from ${subject}`,
      detail: { ...detail, failures: count, windowMs: config.failureSpike.window },
    });
  }

  function countTraffic(consumerId: string, now: number): void {
    const { window: size, factor, minRequests } = config.trafficShift;
    const index = Math.floor(now / size);
    const seen = traffic.get(consumerId);
    let t = seen;
    if (!t || t.window < index - 1) t = { window: index, count: 0, previous: 0, alerted: false };
    else if (t.window === index - 1) t = { window: index, count: 0, previous: t.count, alerted: false };
    t.count++;
    // Counted in place within a window: the cache is written only when the window turns (get already made it recent).
    if (t !== seen) traffic.set(consumerId, t);
    // Compared with the whole previous window as soon as the current one passes it: alerting mid-window.
    if (!t.alerted && t.previous > 0 && t.count >= Math.max(minRequests, t.previous * factor)) {
      t.alerted = true;
      raise({
        rule: 'traffic-shift',
        severity: 'medium',
        subject: `consumer:${consumerId}`,
        message: `consumer ${consumerId} sent ${t.count} requests in this ${size / 1000}s window, at least ${factor}x its previous ${t.previous}`,
        detail: { consumerId, current: t.count, previous: t.previous, windowMs: size },
      });
    }
  }

  return {
    onRequest(record, now) {
      if (record.status === 401) failure(`ip:${record.clientIp}`, now, 'authentication failures', { clientIp: record.clientIp });
      if ((record.status === 401 || record.status === 403) && record.consumerId) {
        failure(`consumer:${record.consumerId}`, now, 'refused requests', { consumerId: record.consumerId, clientIp: record.clientIp });
      }
      if (!record.consumerId || record.status >= 400) return;
      countTraffic(record.consumerId, now);
      if (config.newNetwork.enabled && record.credentialId) {
        const address = `${record.credentialId} ${record.clientIp}`;
        if (seenAddresses.has(address)) return;
        seenAddresses.set(address, true);
        const network = clientNetwork(record.clientIp, config.newNetwork.ipv4Prefix, config.newNetwork.ipv6Prefix);
        const pair = `${record.credentialId} ${network}`;
        if (network && !seenNetworks.has(pair)) {
          seenNetworks.set(pair, true);
          onNewNetwork(record.credentialId, record.consumerId, network, record.clientIp);
        }
      }
    },
    onEvent(event, now) {
      if (event.kind === 'bruteforce_blocked') {
        const subject = `${event.target}:${event.subject}`;
        raise({
          rule: 'brute-force',
          severity: 'high',
          subject,
          message: `brute-force defence blocked ${subject} for ${event.blockSeconds}s after ${event.failures} failed authentications`,
          detail: { clientIp: event.clientIp, failures: event.failures, blockSeconds: event.blockSeconds },
        });
      } else if (event.kind === 'token_issue_failed') {
        const subject = event.clientId ? `client:${event.clientId}` : `ip:${event.clientIp}`;
        const count = tokenFailures.hit(subject, now);
        if (count !== undefined) {
          raise({
            rule: 'token-failures',
            severity: 'high',
            subject,
            message: `${count} token-issuance failures within ${config.tokenFailures.window / 1000}s for ${subject}`,
            detail: { clientIp: event.clientIp, lastReason: event.reason, failures: count },
          });
        }
      }
    },
  };
}
