import { trace } from '@opentelemetry/api';
import type { Span, Tracer, TracerProvider } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor } from '../helpers/client.js';
import { startTestServer } from '../helpers/tls-server.js';
import type { TestServer } from '../helpers/tls-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  trace.disable();
  await server.close();
});

describe('OpenTelemetry', () => {
  it('is a no-op until a provider is registered, then records one client span per call', async () => {
    const { client } = clientFor(server);
    await client.get('/before'); // no provider: nothing to record, nothing breaks

    const ended: { name: string; attributes: Record<string, unknown> }[] = [];
    // The application's provider, as @opentelemetry/sdk-trace-base would register it.
    const provider: TracerProvider = {
      getTracer: (): Tracer => ({
        startSpan: (name, options) => {
          const attributes: Record<string, unknown> = { ...options?.attributes };
          const span = {
            setAttributes: (a: Record<string, unknown>) => (Object.assign(attributes, a), span),
            setStatus: () => span,
            end: () => ended.push({ name, attributes }),
          } as unknown as Span;
          return span;
        },
        startActiveSpan: (() => undefined) as never,
      }),
    };
    trace.setGlobalTracerProvider(provider);
    const { client: traced } = clientFor(server);
    await traced.get('/companies/{id}', { params: { id: 7 }, query: { secret: 'not-in-span' } });
    expect(ended).toEqual([
      { name: 'GET', attributes: expect.objectContaining({ 'http.request.method': 'GET', 'server.address': '127.0.0.1', 'url.path': '/companies/7', 'http.response.status_code': 200 }) },
    ]);
    expect(JSON.stringify(ended)).not.toContain('not-in-span');
    await Promise.all([client.close(), traced.close()]);
  });
});
