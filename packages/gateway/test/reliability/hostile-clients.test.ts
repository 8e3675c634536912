import { createHash, randomBytes } from 'node:crypto';
import { connect as connectTls } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import { startRecordingUpstream } from '../helpers/upstream.js';

const BOUND = 1_000; // ms: the header, keep-alive and send timeouts in this test's config
/** 8 MiB that differ byte by byte, so a lost, repeated or reordered chunk shows. */
const MEDIUM = randomBytes(8 * 1024 * 1024);

/** Slow and hostile clients against a real gateway: each is cut off at its bound while others are served. */
describe('drill: slow and hostile clients', () => {
  let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
  let t: TestGateway;
  let upstreamWrote = 0;
  let upstreamClosedEarly = false;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    upstream.onRequest((req, res) => {
      if (req.url === '/medium') return void res.writeHead(200, { 'content-length': MEDIUM.length }).end(MEDIUM);
      if (req.url !== '/big') return res.end('{"ok":true}');
      // 256 MiB, written as fast as the gateway takes it: only backpressure keeps it out of memory.
      const chunk = Buffer.alloc(64 * 1024, 120);
      let left = 4096;
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.once('close', () => (upstreamClosedEarly = left > 0));
      const pump = () => {
        while (left > 0) {
          left--;
          upstreamWrote += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    t = await startTestGateway({
      limits: { headersTimeout: `${BOUND}ms`, keepAliveTimeout: `${BOUND}ms`, sendTimeout: `${BOUND}ms` },
      services: [{ name: 'api', upstream: upstream.url, routes: [{ match: 'GET /*', public: true }] }],
    });
  });
  afterAll(async () => {
    await t?.stop();
    await upstream?.close();
  });

  function open(): Promise<TLSSocket> {
    const { hostname, port } = new URL(t.gateway.url);
    return new Promise((resolve, reject) => {
      const socket = connectTls({ host: hostname, port: Number(port), ca: t.ca, servername: 'localhost' }, () => resolve(socket));
      socket.once('error', reject);
    });
  }
  const closed = (socket: TLSSocket) => new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));

  it('slowloris: 50 connections trickling header bytes are closed at the header timeout while another client is served', async () => {
    const sockets = await Promise.all(Array.from({ length: 50 }, () => open()));
    const start = performance.now();
    const ends = sockets.map((s) => {
      s.on('error', () => undefined);
      s.on('data', () => undefined);
      s.write('GET /x HTTP/1.1\r\nHost: localhost\r\n');
      return closed(s);
    });
    const trickle = setInterval(() => {
      for (const s of sockets) if (!s.destroyed) s.write(`X-Slow-${Math.floor(Math.random() * 1e6)}: 1\r\n`);
    }, 100);
    try {
      // Served meanwhile, promptly.
      for (let i = 0; i < 5; i++) {
        const began = performance.now();
        expect((await t.call('/x')).status).toBe(200);
        expect(performance.now() - began).toBeLessThan(BOUND);
      }
      const closedAt = await Promise.all(ends);
      // Trickling does not extend the bound: headers must be complete within it (plus Node's check interval).
      for (const at of closedAt) expect(at - start).toBeLessThan(BOUND * 2 + 1_000);
    } finally {
      clearInterval(trickle);
    }
  });

  it('300 idle keep-alive connections do not exhaust the gateway, and are closed after the keep-alive timeout', async () => {
    const sockets = await Promise.all(Array.from({ length: 300 }, () => open()));
    const ends = sockets.map((s) => {
      s.on('error', () => undefined);
      s.on('data', () => undefined);
      s.write('GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n'); // one request, then idle with the connection kept
      return closed(s);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await t.call('/x')).status).toBe(200);
    const start = performance.now();
    const closedAt = await Promise.all(ends);
    for (const at of closedAt) expect(at - start).toBeLessThan(BOUND * 3);
  });

  it('a client that reads a large response slowly, pausing under the send timeout, gets all of it intact', async () => {
    const socket = await open();
    const chunks: Buffer[] = [];
    let received = 0;
    let pauses = 0;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      // Every 2 MiB the reader stops for a while: the gateway's writes back up, and must resume after.
      if (received > (pauses + 1) * 2 * 1024 * 1024 && pauses < 3) {
        pauses++;
        socket.pause();
        setTimeout(() => socket.resume(), BOUND / 4);
      }
    });
    socket.write('GET /medium HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    await closed(socket);
    const whole = Buffer.concat(chunks);
    const bodyAt = whole.indexOf('\r\n\r\n') + 4;
    expect(whole.subarray(0, bodyAt).toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
    expect(pauses).toBe(3);
    expect(whole.length - bodyAt).toBe(MEDIUM.length);
    expect(createHash('sha256').update(whole.subarray(bodyAt)).digest('hex')).toBe(createHash('sha256').update(MEDIUM).digest('hex'));
  });

  it('a client that stops reading a large response is cut off after limits.sendTimeout, with bounded buffering', async () => {
    const socket = await open();
    let received = 0;
    socket.on('error', () => undefined);
    const end = closed(socket);
    let stalling = true;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (stalling && received > 256 * 1024) socket.pause(); // and reads nothing more until the test says so
    });
    socket.write('GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const start = performance.now();
    // The gateway gives up on the client and lets the upstream go: the upstream sees its response closed.
    await expect.poll(() => upstreamClosedEarly, { timeout: BOUND * 6, interval: 100 }).toBe(true);
    expect(performance.now() - start).toBeGreaterThanOrEqual(BOUND);
    // What the upstream could push is bounded by socket buffers, not by the 256 MiB response.
    expect(upstreamWrote).toBeLessThan(32 * 1024 * 1024);
    // Reading again, the client finds the connection closed after what was buffered.
    stalling = false;
    socket.resume();
    await end;
    expect(received).toBeLessThan(32 * 1024 * 1024);
    // Others are served throughout.
    expect((await t.call('/x')).status).toBe(200);
  });
});
