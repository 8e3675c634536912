import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpError, PolicyError, auth, createClient, fromEnv } from '../../src/index.js';
import type { ClientOptions } from '../../src/index.js';
import { startCredentialGateway } from '../../../gateway/test/helpers/gateway.js';
import type { CredentialGateway } from '../../../gateway/test/helpers/gateway.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { captureLogs } from '../helpers/log-capture.js';

/**
 * The SDK against the real Portcullis gateway over TLS with its local CA (tls: auto), in front of a
 * recording upstream.
 */
let gw: CredentialGateway;
let key: string;

beforeAll(async () => {
  gw = await startCredentialGateway(undefined, { freezeIntervals: true });
  const consumerId = await gw.createConsumer();
  key = (await gw.createKey({ consumerId, scopes: ['companies:read'] })).key;
}, 120_000); // a gateway start (embedded PGlite) is slow on a loaded machine
afterAll(() => gw.stop());
beforeEach(() => {
  gw.upstream.seen.length = 0;
  gw.upstream.onRequest((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"id":"1","name":"ACME"}');
  });
});

function gatewayClient(options: Partial<ClientOptions> = {}) {
  return createClient({
    baseUrl: gw.gateway.url,
    allowedHosts: ['127.0.0.1'],
    allowAddresses: ['127.0.0.1'],
    ca: gw.ca,
    clock: new FakeClock(),
    auth: auth.apiKey({ key: fromEnv('PORTCULLIS_API_KEY', { PORTCULLIS_API_KEY: key }) }),
    ...options,
  });
}

describe('end to end against the Portcullis gateway', () => {
  it('API key calls work, and the client logs never contain the key', async () => {
    const logs = captureLogs();
    const api = gatewayClient({ logger: logs.logger });
    const res = await api.get('/companies/{id}', { params: { id: '1' } });
    expect(res).toMatchObject({ status: 200, data: { id: '1', name: 'ACME' } });
    expect(res.headers['x-request-id']).toBeTruthy();
    expect(gw.upstream.seen.at(-1)).toMatchObject({ url: '/companies/1' });
    expect(gw.upstream.seen.at(-1)?.headers.authorization).toBeUndefined();
    expect(logs.text()).not.toContain(key);
    await api.close();
  });

  it('a refused key is an HttpError carrying the gateway problem+json, and an auth_failure event', async () => {
    const logs = captureLogs();
    const bad = `${key.slice(0, -4)}AAAA`;
    const api = gatewayClient({ logger: logs.logger, auth: auth.apiKey({ key: bad }) });
    const error = (await api.get('/companies/{id}', { params: { id: '1' } }).catch((e: unknown) => e)) as HttpError;
    expect(error).toBeInstanceOf(HttpError);
    expect(error.status).toBe(401);
    expect(error.problem).toMatchObject({ type: 'urn:portcullis:problem:invalid-credential', status: 401 });
    expect(error.problem?.instance).toBe(error.headers['x-request-id']);
    expect(api.counters.auth_failure).toBe(1);
    expect(logs.text()).not.toContain(bad);
    expect(error.message).not.toContain(bad);
    await api.close();
  });

  it('honours a 429 with Retry-After through the gateway (from the upstream until the gateway limits itself)', async () => {
    let calls = 0;
    gw.upstream.onRequest((_req, res) => {
      if (calls++ === 0) {
        res.writeHead(429, { 'retry-after': '2', 'content-type': 'application/json' });
        return void res.end('{}');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    const clock = new FakeClock();
    const api = gatewayClient({ clock });
    const res = await api.get('/companies/{id}', { params: { id: '2' } });
    expect(res.data).toEqual({ ok: true });
    expect(clock.sleeps).toEqual([2000]);
    expect(api.counters).toMatchObject({ rate_limited: 1, retry: 1 });
    await api.close();
  });

  it('circuit breaker and fallback serve while the upstream is down', async () => {
    const clock = new FakeClock();
    const api = gatewayClient({
      clock,
      retry: false,
      circuitBreaker: { failureThreshold: 2, openMs: 10_000 },
      cache: { key: 'e2e-cache-key-0123456789abcdef0123456789' },
      fallback: ({ cached }) => cached?.data,
    });
    gw.upstream.onRequest((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=1' });
      res.end('{"id":"3","name":"Cached Co"}');
    });
    await api.get('/companies/{id}', { params: { id: '3' }, cache: true });
    clock.advance(2_000);
    // The upstream goes down: the gateway answers 502 / 504.
    gw.upstream.onRequest((req) => req.socket.destroy());
    const during = [];
    for (let i = 0; i < 4; i++) during.push(await api.get('/companies/{id}', { params: { id: '3' }, cache: true }));
    expect(during.every((r) => r.fallback && (r.data as { name: string }).name === 'Cached Co')).toBe(true);
    expect(api.counters.circuit_open).toBe(1);
    expect(gw.upstream.seen).toHaveLength(3); // 1 good + 2 failures; then the circuit holds calls back
    gw.upstream.onRequest((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id":"3","name":"Live Co"}');
    });
    clock.advance(10_001);
    expect((await api.get('/companies/{id}', { params: { id: '3' }, cache: true })).data).toEqual({ id: '3', name: 'Live Co' });
    expect(api.counters.circuit_closed).toBe(1);
    await api.close();
  });

  it('refuses an http: URL, a host outside allowedHosts and a name resolving to 127.0.0.1, before any request', async () => {
    const port = new URL(gw.gateway.url).port;
    const before = gw.logs.lines.length;
    expect(() => gatewayClient({ baseUrl: `http://127.0.0.1:${port}` })).toThrow(PolicyError);
    const api = gatewayClient();
    await expect(api.get(`https://gateway.internal:${port}/companies/1`)).rejects.toMatchObject({ code: 'host_not_allowed' });
    const byName = gatewayClient({ baseUrl: `https://localhost:${port}`, allowedHosts: ['localhost'], allowAddresses: [] });
    await expect(byName.get('/companies/1')).rejects.toMatchObject({ name: 'PolicyError', code: 'address_not_allowed' });
    expect(gw.upstream.seen).toHaveLength(0);
    expect(gw.logs.lines.slice(before).filter((l) => l.includes('/companies/1'))).toEqual([]);
    await Promise.all([api.close(), byName.close()]);
  });
});
