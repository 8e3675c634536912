import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The gateway's Prometheus metrics, one registry per gateway so tests and instances never share. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'portcullis_process_' });
  return {
    registry,
    requests: new Counter({
      name: 'portcullis_requests_total',
      help: 'Data-plane requests by service and status class',
      labelNames: ['service', 'status'] as const,
      registers: [registry],
    }),
    upstreamLatency: new Histogram({
      name: 'portcullis_upstream_duration_seconds',
      help: 'Time from forwarding a request to the upstream response headers',
      labelNames: ['service'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'portcullis_auth_failures_total',
      help: 'Refused credentials by internal reason (never exposed to clients)',
      labelNames: ['reason'] as const,
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
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
