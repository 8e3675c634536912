import { SpanKind, SpanStatusCode, TraceFlags, context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { formatTraceparent, parseTraceparent } from './tracing.js';
import type { RequestTracer } from './tracing.js';

/**
 * Spans exported over OTLP/HTTP (JSON) to `<endpoint>/v1/traces`, batched off the hot path. Loaded only
 * when telemetry.otlp is configured: with it absent this module (and the SDK) is never imported.
 */
export function createOtlpTracer(options: { endpoint: string; serviceName: string }): RequestTracer {
  const exporter = new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/+$/, '')}/v1/traces` });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1_000 })],
  });
  const tracer = provider.getTracer('portcullis');
  return {
    start(incoming) {
      const parent = parseTraceparent(incoming);
      const parentContext = parent
        ? trace.setSpanContext(context.active(), { traceId: parent.traceId, spanId: parent.parentSpanId as string, traceFlags: TraceFlags.SAMPLED, isRemote: true })
        : context.active();
      const span = tracer.startSpan('portcullis.request', { kind: SpanKind.SERVER }, parentContext);
      const { traceId, spanId } = span.spanContext();
      return {
        traceId,
        spanId,
        traceparent: formatTraceparent(traceId, spanId, true),
        end(outcome) {
          span.updateName(`${outcome.method} ${outcome.route ?? 'unmatched'}`);
          span.setAttributes({
            'http.request.method': outcome.method,
            'http.response.status_code': outcome.status,
            ...(outcome.route ? { 'http.route': outcome.route } : {}),
            ...(outcome.service ? { 'portcullis.service': outcome.service } : {}),
          });
          if (outcome.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        },
      };
    },
    async close() {
      await provider.shutdown();
    },
  };
}
