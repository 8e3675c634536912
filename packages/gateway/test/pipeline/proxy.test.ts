import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawExchange } from '../helpers/raw-http.js';
import { startRecordingUpstream } from '../helpers/upstream.js';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';

let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
let t: TestGateway;

function expectProblem(reply: { status: number; headers: Record<string, unknown>; text: string }, status: number, code: string) {
  expect(reply.status).toBe(status);
  expect(reply.headers['content-type']).toBe('application/problem+json');
  const body = JSON.parse(reply.text) as Record<string, unknown>;
  expect(body).toMatchObject({ type: `urn:portcullis:problem:${code}`, status });
  expect(body.instance).toBe(reply.headers['x-request-id']);
  expect(reply.text).not.toMatch(/at .*\.(ts|js):\d+/); // no stack trace
  return body;
}

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  t = await startTestGateway({
    limits: { maxBodyBytes: 1024, maxHeaderBytes: 4096, headersTimeout: '400ms', bodyTimeout: '400ms' },
    services: [
      {
        name: 'companies',
        upstream: upstream.url,
        timeout: '300ms',
        routes: [
          { match: 'GET /companies', public: true },
          { match: 'GET /companies/*', public: true },
          { match: 'POST /companies', public: true },
          { match: 'GET /admin/**', public: true, scopes: [] },
        ],
      },
      { name: 'down', upstream: 'http://127.0.0.1:1', routes: [{ match: 'GET /down', public: true }] },
    ],
  });
});
afterAll(async () => {
  await t.stop();
  await upstream.close();
});

describe('the proxy', () => {
  it('forwards to the upstream and answers with its JSON, HSTS and a request id', async () => {
    const reply = await t.call('/companies/1?expand=officers');
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ ok: true });
    expect(reply.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
    expect(reply.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const seen = upstream.seen.at(-1);
    expect(seen?.url).toBe('/companies/1?expand=officers');
    expect(seen?.headers['x-request-id']).toBe(reply.headers['x-request-id']);
    expect(seen?.headers['x-forwarded-proto']).toBe('https');
  });

  it('strips upstream software details from responses', async () => {
    const reply = await t.call('/companies');
    expect(reply.headers['x-powered-by']).toBeUndefined();
    expect(reply.headers.server).toBeUndefined();
  });

  it('drops hop-by-hop headers, Connection-listed headers and client-sent identity headers', async () => {
    // Raw bytes: HTTP clients manage Connection themselves and would not send these as written.
    const raw = await rawExchange(
      t.gateway.url,
      t.ca,
      'GET /companies HTTP/1.1\r\nHost: localhost\r\nX-Portcullis-Consumer: con_forged\r\nX-Portcullis-Scopes: admin:all\r\n' +
        'X-Request-Id: forged-id\r\nConnection: close, X-Secret-Hop\r\nX-Secret-Hop: hop\r\nTE: trailers\r\nX-Kept: kept\r\n\r\n',
    );
    expect(raw).toMatch(/^HTTP\/1\.1 200 /);
    const seen = upstream.seen.at(-1);
    expect(seen?.headers['x-portcullis-consumer']).toBeUndefined();
    expect(seen?.headers['x-portcullis-scopes']).toBeUndefined();
    expect(seen?.headers['x-request-id']).not.toBe('forged-id');
    expect(seen?.headers['x-secret-hop']).toBeUndefined();
    expect(seen?.headers.te).toBeUndefined();
    expect(seen?.headers['x-kept']).toBe('kept');
  });

  it('forwards a request body and returns the upstream status', async () => {
    upstream.onRequest((_req, res, body) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ received: JSON.parse(body) as unknown }));
    });
    const reply = await t.call('/companies', { method: 'POST', body: '{"name":"Acme"}', headers: { 'content-type': 'application/json' } });
    expect(reply.status).toBe(201);
    expect(reply.json()).toEqual({ received: { name: 'Acme' } });
    upstream.onRequest((_req, res) => res.end('{"ok":true}'));
  });

  it('answers a generic 404 for unknown routes, never reaching the upstream', async () => {
    const before = upstream.seen.length;
    const body = expectProblem(await t.call('/nothing/here'), 404, 'not-found');
    expect(body.title).toBe('Not found');
    expect(upstream.seen.length).toBe(before);
  });

  it('refuses dot segments and encoded separators instead of normalising them', async () => {
    // Raw bytes: WHATWG URL parsing in clients would resolve %2e%2e before sending.
    for (const target of ['/companies/%2e%2e/admin/x', '/companies/../admin/x', '/companies%2F1', '/companies//1', '/companies/%5c1']) {
      const raw = await rawExchange(t.gateway.url, t.ca, `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
      expect(raw, target).toMatch(/^HTTP\/1\.1 400 /);
      expect(raw, target).toContain('urn:portcullis:problem:bad-request');
    }
    // percent-encoded letters are matched in decoded form, like the upstream will see them
    expect((await t.call('/compan%69es/1')).status).toBe(200);
  });

  it('refuses a body over the limit with 413, declared or streamed', async () => {
    expectProblem(await t.call('/companies', { method: 'POST', body: 'x'.repeat(2048) }), 413, 'payload-too-large');
    async function* chunks() {
      for (let i = 0; i < 4; i++) yield Buffer.alloc(512, 120);
    }
    expectProblem(await t.call('/companies', { method: 'POST', body: chunks() }), 413, 'payload-too-large');
  });

  it('refuses oversized headers with 431 problem+json', async () => {
    const raw = await rawExchange(t.gateway.url, t.ca, `GET /companies HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(8192)}\r\n\r\n`);
    expect(raw).toMatch(/^HTTP\/1\.1 431 /);
    expect(raw).toContain('application/problem+json');
    expect(raw).toContain('urn:portcullis:problem:headers-too-large');
    expect(raw).toMatch(/x-request-id: [0-9a-f-]{36}/i);
  });

  it('refuses a request with both Content-Length and Transfer-Encoding (request smuggling)', async () => {
    const raw = await rawExchange(
      t.gateway.url,
      t.ca,
      'POST /companies HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    );
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toContain('urn:portcullis:problem:bad-request');
  });

  it('answers 408 when headers arrive too slowly', async () => {
    const raw = await rawExchange(t.gateway.url, t.ca, 'GET /companies HTTP/1.1\r\nHost: localhost\r\n', 3_000);
    expect(raw).toMatch(/^HTTP\/1\.1 408 /);
    expect(raw).toContain('urn:portcullis:problem:request-timeout');
  });

  it('answers 408 when the body arrives too slowly', async () => {
    const raw = await rawExchange(
      t.gateway.url,
      t.ca,
      'POST /companies HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na',
      3_000,
    );
    expect(raw).toMatch(/^HTTP\/1\.1 408 /);
    expect(raw).toContain('urn:portcullis:problem:request-timeout');
  });

  it('answers 504 with generic text when the upstream is too slow', async () => {
    upstream.onRequest((_req, res) => setTimeout(() => res.end('{"late":true}'), 1_000));
    const body = expectProblem(await t.call('/companies'), 504, 'gateway-timeout');
    expect(body.detail).toBeUndefined();
    upstream.onRequest((_req, res) => res.end('{"ok":true}'));
  });

  it('answers 502 with generic text when the upstream refuses connections, and logs the cause', async () => {
    const reply = await t.call('/down');
    const body = expectProblem(reply, 502, 'bad-gateway');
    expect(reply.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1:1/);
    expect(body.title).toBe('Bad gateway');
    const line = t.logs.lines.find((l) => l.includes(reply.headers['x-request-id'] as string) && l.includes('request failed'));
    expect(line).toContain('ECONNREFUSED');
  });

  it('never sends X-Powered-By on its own responses, and sends HSTS on errors too', async () => {
    const reply = await t.call('/nothing');
    expect(reply.headers['x-powered-by']).toBeUndefined();
    expect(reply.headers['strict-transport-security']).toBeDefined();
  });

  it('answers /healthz and /readyz', async () => {
    expect((await t.call('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await t.call('/readyz')).status).toBe(200);
  });

  it('refuses a credential in the query string with 400 and does not log it', async () => {
    const planted = 'pck_AAAAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBCCCCCC';
    expectProblem(await t.call(`/companies?api_key=${planted}`), 400, 'credential-in-query');
    expectProblem(await t.call(`/companies?access_token=abc.def.ghi`), 400, 'credential-in-query');
    expectProblem(await t.call(`/companies?q=${planted}`), 400, 'credential-in-query');
    expect(t.logs.text()).not.toContain(planted);
    expect(t.logs.text()).not.toContain('abc.def.ghi');
  });

  it('treats a client that hangs up as a client abort (499, debug), not as an upstream failure', async () => {
    upstream.onRequest((_req, res) => setTimeout(() => res.end('{"late":true}'), 250));
    const before = t.logs.lines.length;
    const abort = new AbortController();
    const pending = t.call('/companies/9', { signal: abort.signal });
    setTimeout(() => abort.abort(), 60);
    await expect(pending).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 400));
    const lines = t.logs.lines.slice(before).map((l) => JSON.parse(l) as { msg: string; status?: number; path?: string });
    expect(lines.find((l) => l.msg === 'request failed')).toBeUndefined();
    expect(lines.find((l) => l.msg === 'request' && l.path === '/companies/9')?.status).toBe(499);
    upstream.onRequest((_req, res) => res.end('{"ok":true}'));
  });
});
