import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpError, TransportError } from '../../src/index.js';
import { fullJitter } from '../../src/resilience/backoff.js';
import { clientFor } from '../helpers/client.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { json, sequence, startTestServer } from '../helpers/tls-server.js';
import type { Handler, TestServer } from '../helpers/tls-server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.seen.length = 0;
});

const reset: Handler = (req) => {
  req.socket.destroy();
};

describe('retries', () => {
  it('retries 502, 503 and 504 with full-jitter exponential backoff (base 100 ms), then succeeds', async () => {
    server.handle(sequence(json(502, {}), json(503, {}), json(504, {}), json(200, { ok: true })));
    const { client, clock } = clientFor(server, { circuitBreaker: false });
    const retries: number[] = [];
    client.on('retry', (e) => retries.push(e.delayMs));
    const res = await client.get('/flaky');
    expect(res.data).toEqual({ ok: true });
    expect(server.seen).toHaveLength(4);
    // random() = 0.5: half of min(cap, 100 * 2^n)
    expect(clock.sleeps).toEqual([50, 100, 200]);
    expect(retries).toEqual([50, 100, 200]);
    expect(client.counters.retry).toBe(3);
    await client.close();
  });

  it('full jitter stays within [0, min(cap, base * 2^n)) and reaches the 20 s cap', () => {
    const options = { baseMs: 100, capMs: 20_000 };
    expect(fullJitter(0, options, () => 0.999)).toBe(99);
    expect(fullJitter(3, options, () => 0)).toBe(0);
    expect(fullJitter(20, options, () => 0.999)).toBe(19_980);
  });

  it('gives up after 3 retries with the last HttpError', async () => {
    server.handle(json(503, { type: 'about:blank', title: 'down' }, { 'content-type': 'application/problem+json' }));
    const { client } = clientFor(server, { circuitBreaker: false });
    const error = await client.get('/down').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(503);
    expect((error as HttpError).problem?.title).toBe('down');
    expect(server.seen).toHaveLength(4);
    await client.close();
  });

  it('honours Retry-After (seconds) instead of its own backoff', async () => {
    server.handle(sequence(json(503, {}, { 'retry-after': '7' }), json(200, {})));
    const { client, clock } = clientFor(server);
    await client.get('/later');
    expect(clock.sleeps).toEqual([7000]);
    await client.close();
  });

  it('retries a reset connection for GET; "no retries" means none, also on a reset', async () => {
    server.handle(sequence(reset, json(200, { ok: true })));
    const { client } = clientFor(server, { circuitBreaker: false });
    expect((await client.get('/reset')).data).toEqual({ ok: true });
    expect(server.seen).toHaveLength(2);

    server.seen.length = 0;
    server.handle(reset);
    const { client: strict } = clientFor(server, { retry: false, circuitBreaker: false });
    const error = await strict.get('/reset').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(server.seen).toHaveLength(1);
    const perCall = await client.get('/reset', { retry: { retries: 0 } }).catch((e: unknown) => e);
    expect(perCall).toBeInstanceOf(TransportError);
    expect(server.seen).toHaveLength(2);
    await Promise.all([client.close(), strict.close()]);
  });

  it('retries POST only with an Idempotency-Key, generated once and the same on every attempt', async () => {
    server.handle(sequence(json(503, {}), reset, json(201, { id: 1 })));
    const { client } = clientFor(server, { circuitBreaker: false });
    const res = await client.post('/orders', { body: { sku: 'A' } });
    expect(res.status).toBe(201);
    const keys = server.seen.map((s) => s.headers['idempotency-key']);
    expect(keys).toHaveLength(3);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    expect(server.seen.every((s) => s.body === '{"sku":"A"}')).toBe(true);

    // A second logical call gets a new key.
    server.seen.length = 0;
    server.handle(json(201, {}));
    await client.post('/orders', { body: { sku: 'B' } });
    expect(server.seen[0]?.headers['idempotency-key']).not.toBe(keys[0]);

    // Without a key, a POST is sent once.
    server.seen.length = 0;
    server.handle(json(503, {}));
    await expect(client.post('/orders', { body: {}, idempotencyKey: false })).rejects.toBeInstanceOf(HttpError);
    expect(server.seen).toHaveLength(1);
    expect(server.seen[0]?.headers['idempotency-key']).toBeUndefined();
    await client.close();
  });

  it('fails fast with a typed error carrying retryAt when the server asks for a wait beyond the deadline', async () => {
    server.handle(json(429, {}, { 'retry-after': '120' }));
    const clock = new FakeClock();
    const { client } = clientFor(server, { clock, timeout: 10_000 });
    const started = clock.now();
    const error = await client.get('/busy').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('deadline_exceeded');
    expect((error as TransportError).retryAt).toBe(started + 120_000);
    expect(clock.sleeps).toEqual([]);
    expect(server.seen).toHaveLength(1);
    await client.close();
  });

  it('a 429 pauses the whole host: the next call waits until Retry-After without being sent', async () => {
    server.handle(sequence(json(429, {}, { 'retry-after': '3' }), json(200, {})));
    const { client, clock } = clientFor(server, { retry: false });
    const limited: number[] = [];
    client.on('rate_limited', (e) => limited.push(e.retryAt));
    const t0 = clock.now();
    await expect(client.get('/a')).rejects.toBeInstanceOf(HttpError);
    expect(limited).toEqual([t0 + 3000]);
    await client.get('/b');
    expect(clock.sleeps).toEqual([3000]);
    expect(server.seen).toHaveLength(2);
    await client.close();
  });

  it('a spent RateLimit quota pauses the host until the window resets, and a low one spaces calls', async () => {
    server.handle(sequence(json(200, {}, { ratelimit: '"default";r=0;t=5' }), json(200, {}, { ratelimit: '"default";r=2;t=10' }), json(200, {})));
    const { client, clock } = clientFor(server);
    await client.get('/1');
    await client.get('/2'); // waits out the spent window
    expect(clock.sleeps).toEqual([5000]);
    await client.get('/3'); // 2 left of a 10 s window: one call every 5 s
    await client.get('/4');
    expect(clock.sleeps).toEqual([5000, 5000]);
    expect(client.counters.rate_limited).toBe(1);
    await client.close();
  });

  it('a retry budget per host: once spent, failures come back without retries', async () => {
    server.handle(json(503, {}));
    const { client } = clientFor(server, { retry: { budget: 2 }, circuitBreaker: false });
    await expect(client.get('/x')).rejects.toBeInstanceOf(HttpError);
    expect(server.seen).toHaveLength(3); // 2 retries spent the budget
    server.seen.length = 0;
    await expect(client.get('/x')).rejects.toBeInstanceOf(HttpError);
    expect(server.seen).toHaveLength(1);
    await client.close();
  });

  it('does not retry other 4xx', async () => {
    server.handle(json(404, {}));
    const { client } = clientFor(server);
    await expect(client.get('/missing')).rejects.toMatchObject({ code: 'http_status', status: 404 });
    expect(server.seen).toHaveLength(1);
    await client.close();
  });

  it('aborts an attempt at the deadline with a typed timeout, and honours the caller\'s signal', async () => {
    server.handle(() => {}); // never answers
    const { client } = clientFor(server, { timeout: 200, circuitBreaker: false });
    await expect(client.get('/slow')).rejects.toMatchObject({ name: 'TransportError', code: 'timeout' });
    const controller = new AbortController();
    const pending = client.get('/slow', { timeout: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'TransportError', code: 'timeout' });
    server.handle(json(200, {}));
    await client.close();
  });
});
