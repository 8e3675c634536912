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
    tokensIssued: new Counter({
      name: 'portcullis_oauth_tokens_issued_total',
      help: 'Access tokens issued by the authorization server, by grant type',
      labelNames: ['grant'] as const,
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
