import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TransportError } from '../../src/index.js';
import { clientFor } from '../helpers/client.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { json, startTestServer } from '../helpers/tls-server.js';
import type { TestServer } from '../helpers/tls-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.seen.length = 0;
});

describe('circuit breaker', () => {
  it('opens after 5 consecutive failures, refuses without sending while open, half-opens after openMs, closes on success', async () => {
    server.handle(json(503, {}));
    const clock = new FakeClock();
    const { client } = clientFor(server, { clock, retry: false, circuitBreaker: { failureThreshold: 5, openMs: 30_000 } });
    const opened: number[] = [];
    client.on('circuit_open', (e) => opened.push(e.retryAt));
    for (let i = 0; i < 5; i++) await expect(client.get('/x')).rejects.toMatchObject({ status: 503 });
    expect(opened).toEqual([clock.now() + 30_000]);
    const refused = await client.get('/x').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TransportError);
    expect(refused).toMatchObject({ code: 'circuit_open', retryAt: opened[0] });
    expect(server.seen).toHaveLength(5);

    clock.advance(30_001);
    server.handle(json(200, { ok: true }));
    expect((await client.get('/x')).status).toBe(200);
    expect(client.counters).toMatchObject({ circuit_open: 1, circuit_closed: 1 });
    await client.close();
  });

  it('a failed trial call opens it again at once', async () => {
    server.handle(json(502, {}));
    const clock = new FakeClock();
    const { client } = clientFor(server, { clock, retry: false, circuitBreaker: { failureThreshold: 2, openMs: 1_000 } });
    for (let i = 0; i < 2; i++) await client.get('/x').catch(() => {});
    clock.advance(1_001);
    await client.get('/x').catch(() => {});
    expect(client.counters.circuit_open).toBe(2);
    await expect(client.get('/x')).rejects.toMatchObject({ code: 'circuit_open' });
    await client.close();
  });

  it('the fallback hook serves the last cached value while the host is down, and not for 4xx', async () => {
    server.handle(json(200, { price: 42 }, { 'cache-control': 'max-age=1' }));
    const clock = new FakeClock();
    const seen: string[] = [];
    const { client } = clientFor(server, {
      clock,
      retry: false,
      circuitBreaker: { failureThreshold: 2 },
      cache: { key: 'fallback-cache-key-0123456789abcdef0123' },
      fallback: ({ error, cached }) => {
        seen.push(error.code);
        return cached?.data;
      },
    });
    await client.get('/price', { cache: true });
    clock.advance(5_000);
    server.handle(json(503, {}));
    for (let i = 0; i < 3; i++) expect(await client.get('/price', { cache: true })).toMatchObject({ fallback: true, data: { price: 42 } });
    expect(seen).toEqual(['http_status', 'http_status', 'circuit_open']);
    expect(server.seen).toHaveLength(3);
    // No cached value: the fallback returns undefined and the error comes through.
    await expect(client.get('/other', { cache: true })).rejects.toMatchObject({ code: 'circuit_open' });
    server.handle(json(404, {}));
    const { client: fresh } = clientFor(server, { fallback: () => 'never' });
    await expect(fresh.get('/missing')).rejects.toMatchObject({ status: 404 });
    await Promise.all([client.close(), fresh.close()]);
  });

  it('keeps one breaker per host: a failing host does not open another host\'s circuit', async () => {
    const other = await startTestServer(json(200, { ok: true }));
    server.handle(json(503, {}));
    const { client } = clientFor(server, { retry: false, circuitBreaker: { failureThreshold: 1 }, allowedHosts: ['127.0.0.1', 'localhost'], allowAddresses: ['127.0.0.1', '::1'] });
    await client.get('/x').catch(() => {});
    await expect(client.get('/x')).rejects.toMatchObject({ code: 'circuit_open' });
    // Same address, another name: another host as far as the breaker is concerned.
    const viaOtherName = `https://localhost:${other.port}/y`;
    expect((await client.get(viaOtherName)).status).toBe(200);
    await client.close();
    await other.close();
  });
});
