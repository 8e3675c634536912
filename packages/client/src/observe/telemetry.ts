import { SpanKind, SpanStatusCode, metrics, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';

const SCOPE = '@portcullis/client';

/**
 * OpenTelemetry through @opentelemetry/api: a no-op until the application registers a tracer or
 * meter provider. Span and metric names follow the HTTP client semantic conventions.
 */
export function createTelemetry() {
  const tracer = trace.getTracer(SCOPE);
  const meter = metrics.getMeter(SCOPE);
  const duration = meter.createHistogram('http.client.request.duration', { unit: 's', description: 'Duration of SDK calls, retries included' });
  const events = meter.createCounter('portcullis.client.events', { description: 'Client events (retry, rate_limited, circuit_open, ...)' });
  return {
    start(method: string, url: URL): Span {
      return tracer.startSpan(`${method}`, {
        kind: SpanKind.CLIENT,
        attributes: { 'http.request.method': method, 'server.address': url.hostname, 'url.path': url.pathname },
      });
    },
    end(span: Span, started: number, method: string, url: URL, outcome: { status?: number; error?: string }): void {
      const attributes = {
        'http.request.method': method,
        'server.address': url.hostname,
        ...(outcome.status === undefined ? {} : { 'http.response.status_code': outcome.status }),
        ...(outcome.error === undefined ? {} : { 'error.type': outcome.error }),
      };
      span.setAttributes(attributes);
      if (outcome.error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error });
      span.end();
      duration.record((performance.now() - started) / 1000, attributes);
    },
    event(name: string): void {
      events.add(1, { event: name });
    },
  };
}
export type Telemetry = ReturnType<typeof createTelemetry>;
