import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, companiesService, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway, IssuedKey } from '../helpers/gateway.js';
import { delta, scrape as scrapeMetrics } from '../helpers/metrics.js';
import { createOAuthClient } from '../helpers/oauth.js';

let t: CredentialGateway;
let key: IssuedKey;

beforeAll(async () => {
  t = await startCredentialGateway((url) => ({
    services: [companiesService(url), { name: 'broken', upstream: 'http://127.0.0.1:1', routes: [{ match: 'GET /broken', public: true }] }],
  }));
  key = await t.createKey({ consumerId: await t.createConsumer(), scopes: ['companies:read'] });
});
afterAll(() => t.stop());

const scrape = () => scrapeMetrics((path) => t.admin('GET', path));

describe('metrics move with the events they count', () => {
  it('requests by service, route and status; latency split into gateway overhead and upstream time', async () => {
    const before = await scrape();
    expect((await t.callWith(key.key, '/companies/1')).status).toBe(200);
    await t.gateway.operations.flush();
    const after = await scrape();
    expect(delta(before, after, 'portcullis_requests_total{service="companies",route="GET /companies/*",status="200"}')).toBe(1);
    expect(delta(before, after, 'portcullis_request_duration_seconds_count{service="companies"}')).toBe(1);
    expect(delta(before, after, 'portcullis_upstream_duration_seconds_count{service="companies"}')).toBe(1);
    expect(delta(before, after, 'portcullis_gateway_overhead_seconds_count{service="companies"}')).toBe(1);
    const total = delta(before, after, 'portcullis_request_duration_seconds_sum{service="companies"}');
    const upstream = delta(before, after, 'portcullis_upstream_duration_seconds_sum{service="companies"}');
    const overhead = delta(before, after, 'portcullis_gateway_overhead_seconds_sum{service="companies"}');
    expect(upstream).toBeGreaterThan(0);
    expect(overhead + upstream).toBeCloseTo(total, 5);
  });

  it('auth failures by reason, authorization refusals by kind, upstream errors by kind', async () => {
    const before = await scrape();
    expect((await t.callWith(`${key.key.slice(0, -1)}${key.key.endsWith('A') ? 'B' : 'A'}`)).status).toBe(401);
    expect((await t.callWith(key.key, '/companies', { method: 'POST', body: '{}' })).status).toBe(403);
    expect((await t.call('/broken')).status).toBe(502);
    const after = await scrape();
    expect(delta(before, after, 'portcullis_auth_failures_total{reason="checksum"}')).toBe(1);
    expect(delta(before, after, 'portcullis_authorization_refusals_total{service="companies",kind="insufficient-scope"}')).toBe(1);
    expect(delta(before, after, 'portcullis_upstream_errors_total{service="broken",kind="bad-gateway"}')).toBe(1);
    expect(delta(before, after, 'portcullis_requests_total{service="broken",route="GET /broken",status="502"}')).toBe(1);
  });

  it('active keys by age bucket, and the data key age', async () => {
    const young = await scrape();
    expect(young.get('portcullis_api_keys{age="0-7d"}')).toBe(1);
    expect(young.get('portcullis_api_keys{age="7-30d"}')).toBe(0);
    t.clock.advance(40 * DAY);
    const older = await scrape();
    expect(older.get('portcullis_api_keys{age="0-7d"}')).toBe(0);
    expect(older.get('portcullis_api_keys{age="30-60d"}')).toBe(1);
    expect(older.get('portcullis_keyring_data_key_age_seconds')).toBeGreaterThan(39 * 86_400);
    t.clock.advance(-40 * DAY);
  });

  it('OAuth client secrets by age bucket, from issue or the last rotation', async () => {
    const client = await createOAuthClient(t, { consumerId: await t.createConsumer(), scopes: ['companies:read'] });
    const young = await scrape();
    expect(young.get('portcullis_oauth_client_secrets{age="0-7d"}')).toBe(1);
    t.clock.advance(40 * DAY);
    const older = await scrape();
    expect(older.get('portcullis_oauth_client_secrets{age="0-7d"}')).toBe(0);
    expect(older.get('portcullis_oauth_client_secrets{age="30-60d"}')).toBe(1);
    expect((await t.admin('POST', `/admin/v1/clients/${client.client_id}/rotate-secret`, { grace: '0s' })).status).toBe(200);
    const rotated = await scrape();
    expect(rotated.get('portcullis_oauth_client_secrets{age="0-7d"}')).toBe(1);
    expect(rotated.get('portcullis_oauth_client_secrets{age="30-60d"}')).toBe(0);
    t.clock.advance(-40 * DAY);
  });
});

describe('trace context', () => {
  it('continues the caller trace to the upstream with the gateway as parent', async () => {
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await t.callWith(key.key, '/companies/1', { headers: { traceparent: incoming } });
    const sent = t.upstream.seen.at(-1)?.headers.traceparent as string;
    expect(sent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(sent.split('-')[2]).not.toBe('00f067aa0ba902b7');
  });

  it('starts a new trace when none (or a malformed one) comes in', async () => {
    await t.callWith(key.key, '/companies/1');
    await t.callWith(key.key, '/companies/1', { headers: { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' } });
    const [a, b] = t.upstream.seen.slice(-2).map((s) => s.headers.traceparent as string);
    for (const header of [a, b]) expect(header).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(a?.split('-')[1]).not.toBe(b?.split('-')[1]);
    expect(b?.split('-')[1]).not.toBe('0'.repeat(32));
  });
});

describe('OpenTelemetry export over OTLP/HTTP', () => {
  it('sends a span per request to the configured receiver, in the caller trace, parent of the upstream call', async () => {
    const received: { path: string; body: unknown }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body: JSON.parse(body) as unknown });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
    const otel = await startCredentialGateway((url) => ({
      services: [companiesService(url)],
      telemetry: { otlp: { endpoint: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}` } },
    }));
    try {
      const issued = await otel.createKey({ consumerId: await otel.createConsumer(), scopes: ['companies:read'] });
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      expect((await otel.callWith(issued.key, '/companies/9', { headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } })).status).toBe(200);
      const upstreamParent = (otel.upstream.seen.at(-1)?.headers.traceparent as string).split('-')[2];
      await otel.stop(); // shutdown flushes the batch
      type Span = { traceId: string; spanId: string; parentSpanId: string; name: string; attributes: { key: string; value: { intValue?: number | string; stringValue?: string } }[] };
      const spans = received
        .filter((r) => r.path === '/v1/traces')
        .flatMap((r) => (r.body as { resourceSpans: { scopeSpans: { spans: Span[] }[] }[] }).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
      const span = spans.find((s) => s.traceId === traceId);
      expect(span).toMatchObject({ spanId: upstreamParent, parentSpanId: 'b7ad6b7169203331', name: 'GET GET /companies/*' });
      expect(span?.attributes).toEqual(expect.arrayContaining([{ key: 'http.response.status_code', value: { intValue: 200 } }]));
    } finally {
      receiver.close();
    }
  }, 60_000);
});
