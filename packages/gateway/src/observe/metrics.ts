import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { BoundCounter, BoundHistogram } from './bound-metrics.js';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The gateway's Prometheus metrics, one registry per gateway so tests and instances never share.
 * docs/operations.md says what each means and what to do about it. Every label has a bounded set of
 * values: services and route patterns come from the config, statuses from HTTP, reasons from closed unions.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'portcullis_process_' });
  return {
    registry,
    // Touched by every request: bound children, read by the registry like prom-client's own (bound-metrics.ts).
    requests: new BoundCounter('portcullis_requests_total', 'Data-plane requests by service, route pattern and status code', ['service', 'route', 'status'], registry),
    requestDuration: new BoundHistogram('portcullis_request_duration_seconds', 'Whole data-plane requests, arrival to last byte, by service', ['service'], LATENCY_BUCKETS, registry),
    gatewayOverhead: new BoundHistogram(
      'portcullis_gateway_overhead_seconds',
      'Time the gateway itself spent on a request (the request duration less the upstream time), by service',
      ['service'],
      LATENCY_BUCKETS,
      registry,
    ),
    upstreamLatency: new BoundHistogram('portcullis_upstream_duration_seconds', 'Time from forwarding a request to the end of the upstream response, by service', ['service'], LATENCY_BUCKETS, registry),
    upstreamErrors: new Counter({
      name: 'portcullis_upstream_errors_total',
      help: 'Upstream exchanges that failed, by service and kind (bad-gateway, gateway-timeout, unavailable)',
      labelNames: ['service', 'kind'] as const,
      registers: [registry],
    }),
    upstreamCircuitOpen: new Gauge({
      name: 'portcullis_upstream_circuit_open',
      help: "1 while a service's circuit breaker is open (requests fail fast with 503), else 0",
      labelNames: ['service'] as const,
      registers: [registry],
    }),
    upstreamShortCircuited: new Counter({
      name: 'portcullis_upstream_short_circuited_total',
      help: 'Requests answered 503 at once because the service circuit breaker was open',
      labelNames: ['service'] as const,
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'portcullis_auth_failures_total',
      help: 'Refused credentials by internal reason (never exposed to clients)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    tokensIssued: new Counter({
      name: 'portcullis_oauth_tokens_issued_total',
      help: 'Access tokens issued by the authorization server, by grant type',
      labelNames: ['grant'] as const,
      registers: [registry],
    }),
    tokenFailures: new Counter({
      name: 'portcullis_oauth_token_failures_total',
      help: 'Token requests refused by the authorization server, by OAuth error code (invalid_client, invalid_grant...)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    authzRefusals: new Counter({
      name: 'portcullis_authorization_refusals_total',
      help: 'Valid credentials refused for this request (allow-list: forbidden; scope: insufficient-scope), by service',
      labelNames: ['service', 'kind'] as const,
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'portcullis_rate_limited_total',
      help: 'Requests refused with 429 by a rate limit, by service and subject (consumer or ip)',
      labelNames: ['service', 'subject'] as const,
      registers: [registry],
    }),
    rateLimitInsurance: new Counter({
      name: 'portcullis_rate_limit_insurance_total',
      help: 'Rate-limit decisions taken by the in-process insurance limiter because Redis failed',
      registers: [registry],
    }),
    bruteForceBlocks: new Counter({
      name: 'portcullis_brute_force_blocks_total',
      help: 'Client IPs and credential ids blocked after repeated authentication failures',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    signatureFailures: new Counter({
      name: 'portcullis_signature_failures_total',
      help: 'Refused request signatures by internal reason (never exposed to clients)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    queueDropped: new Counter({
      name: 'portcullis_queue_dropped_total',
      help: 'Records dropped because a background queue was full (the request was not blocked)',
      labelNames: ['queue'] as const,
      registers: [registry],
    }),
    alerts: new Counter({
      name: 'portcullis_alerts_total',
      help: 'Anomaly alerts raised, by rule',
      labelNames: ['rule'] as const,
      registers: [registry],
    }),
    webhookFailures: new Counter({
      name: 'portcullis_alert_webhook_failures_total',
      help: 'Alert webhook deliveries given up after every retry',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Key age buckets, in days: each active key falls in the first bucket it is younger than. */
export const KEY_AGE_BUCKETS_DAYS = [7, 30, 60, 90] as const;

const AGE_BUCKET_LABELS = ['0-7d', '7-30d', '30-60d', '60-90d', '90d+'] as const;

export function ageBucket(ageMs: number): string {
  const days = ageMs / 86_400_000;
  let lower = 0;
  for (const upper of KEY_AGE_BUCKETS_DAYS) {
    if (days < upper) return `${lower}-${upper}d`;
    lower = upper;
  }
  return `${lower}d+`;
}

/** A gauge of things by age bucket, counted from `ages` (ms) at every scrape. */
function ageBucketGauge(metrics: Metrics, name: string, help: string, ages: () => Promise<readonly number[]>): void {
  new Gauge({
    name,
    help,
    labelNames: ['age'] as const,
    registers: [metrics.registry],
    async collect() {
      this.reset();
      for (const age of AGE_BUCKET_LABELS) this.set({ age }, 0);
      for (const age of await ages()) this.inc({ age: ageBucket(age) });
    },
  });
}

/**
 * Gauges read from the store at scrape time (ages change without events): active API keys and OAuth
 * client secrets by age bucket, and the age of the keyring's active data key.
 */
export function registerAgeGauges(
  metrics: Metrics,
  read: { keyAges: () => Promise<readonly number[]>; clientSecretAges: () => Promise<readonly number[]>; dataKeyAgeMs: () => Promise<number | undefined> },
): void {
  ageBucketGauge(metrics, 'portcullis_api_keys', 'Active (not revoked, not expired) API keys by age bucket', read.keyAges);
  ageBucketGauge(metrics, 'portcullis_oauth_client_secrets', 'Current secrets of working (not revoked) OAuth clients by age bucket, from issue or the last rotate-secret', read.clientSecretAges);
  new Gauge({
    name: 'portcullis_keyring_data_key_age_seconds',
    help: 'Age of the data key that encrypts new secrets at rest',
    registers: [metrics.registry],
    async collect() {
      const age = await read.dataKeyAgeMs();
      if (age !== undefined) this.set(age / 1000);
    },
  });
}
