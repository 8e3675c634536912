import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import { parseRawResponse, plainExchange } from '../helpers/raw-http.js';

/**
 * `curl http://` to a TLS port gets an answer that says what to change, as nginx's 497 does, instead
 * of an empty reply; and the connection is closed (issue 8).
 */

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => {
  await t?.stop();
});

describe('plain HTTP on a TLS port', () => {
  it.each([
    ['data plane', () => t.gateway.url],
    ['admin', () => t.gateway.adminUrl],
  ])('the %s listener answers 400 problem+json telling the client to use https, then closes', async (_name, url) => {
    const started = performance.now();
    const raw = await plainExchange(url(), 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/8\r\nAccept: */*\r\n\r\n', 10_000);
    expect(performance.now() - started).toBeLessThan(9_000); // closed by the server, not by our timeout
    const reply = parseRawResponse(raw);
    expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(reply.headers['content-type']).toBe('application/problem+json');
    expect(reply.headers.connection).toBe('close');
    expect(reply.headers['strict-transport-security']).toBeUndefined(); // RFC 6797 §7.2: not over plain HTTP
    expect(Number(reply.headers['content-length'])).toBe(Buffer.byteLength(reply.text));
    const body = JSON.parse(reply.text) as Record<string, unknown>;
    expect(body).toMatchObject({ type: 'urn:portcullis:problem:bad-request', status: 400 });
    expect(body.detail).toMatch(/https:\/\//);
    expect(body.instance).toBe(reply.headers['x-request-id']);
  });

  it.each(['POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc', 'PUT / HTTP/1.0\r\n\r\n', 'OPTIONS * HTTP/1.1\r\n\r\n', 'G'])(
    'answers %j the same way',
    async (payload) => {
      const raw = await plainExchange(t.gateway.url, payload, 10_000);
      expect(raw).toMatch(/^HTTP\/1\.1 400 /);
      expect(raw).toContain('https://');
    },
  );

  it('still serves HTTPS on the same port', async () => {
    expect((await t.call('/healthz')).status).toBe(200);
    expect((await t.admin('/healthz')).status).toBe(200);
  });

  it('closes a connection that sends bytes that are neither TLS nor HTTP, without an answer', async () => {
    expect(await plainExchange(t.gateway.url, Buffer.from([0x00, 0x01, 0x02, 0x03]), 15_000)).toBe('');
  });
});
