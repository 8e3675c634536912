import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import { rawExchange } from '../helpers/raw-http.js';
import { startRecordingUpstream } from '../helpers/upstream.js';

/**
 * Request headers a client may not pass to the upstream, in every spelling a CGI or WSGI server would
 * read as the real one (issue 6, defect 3 and "Headers a client should not set").
 */

let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
let strict: TestGateway; // headers.allowUnderscores: false (default)
let lenient: TestGateway; // headers.allowUnderscores: true

beforeAll(async () => {
  upstream = await startRecordingUpstream();
  const services = [{ name: 'api', upstream: upstream.url, routes: [{ match: 'GET /**', public: true }] }];
  [strict, lenient] = await Promise.all([startTestGateway({ services }), startTestGateway({ services, headers: { allowUnderscores: true } })]);
});
afterAll(async () => {
  await Promise.all([strict?.stop(), lenient?.stop()]);
  await upstream?.close();
});

/** Sends the headers as written (raw bytes: clients would refuse or fold some of them) and returns what the upstream got. */
async function forwarded(t: TestGateway, headers: [string, string][]) {
  const lines = headers.map(([name, value]) => `${name}: ${value}\r\n`).join('');
  const raw = await rawExchange(t.gateway.url, t.ca, `GET /things HTTP/1.1\r\nHost: api.example.com\r\n${lines}Connection: close\r\n\r\n`);
  expect(raw).toMatch(/^HTTP\/1\.1 200 /);
  const seen = upstream.seen.at(-1);
  if (!seen) throw new Error('the upstream saw nothing');
  return seen;
}

/** Names the upstream must never get from a client, each with the claim it would make. */
const CLIENT_CLAIMS = [
  'X-Real-IP', 'True-Client-IP', 'X-Client-IP', 'Client-IP', 'X-Cluster-Client-IP', 'CF-Connecting-IP', 'Fastly-Client-IP',
  'X-Originating-IP', 'X-Remote-IP', 'X-Remote-Addr', 'X-Forwarded', 'Forwarded-For', 'X-ProxyUser-Ip',
  'X-Original-URL', 'X-Rewrite-URL', 'X-Original-URI', 'X-Forwarded-Uri', 'X-Forwarded-Path', 'X-Forwarded-Prefix',
  'X-Forwarded-Host', 'X-Host', 'X-Forwarded-Server', 'X-Forwarded-Port', 'X-Forwarded-Scheme', 'X-Forwarded-Ssl',
  'X-Scheme', 'X-Url-Scheme', 'Front-End-Https', 'X-HTTP-Method-Override', 'X-HTTP-Method', 'X-Method-Override',
  'Forwarded', 'X-Forwarded-For', 'X-Forwarded-Proto', 'X-Request-Id', 'X-Portcullis-Consumer', 'X-Portcullis-Scopes',
];

describe('headers a client should not set', () => {
  it.each(CLIENT_CLAIMS)('drops a client\'s %s (or replaces it with what the gateway knows)', async (name) => {
    const seen = await forwarded(strict, [[name, 'spoofed']]);
    for (let i = 0; i < seen.rawHeaders.length; i += 2) {
      if ((seen.rawHeaders[i] as string).toLowerCase() === name.toLowerCase()) expect(seen.rawHeaders[i + 1], name).not.toBe('spoofed');
    }
  });

  it('sets X-Real-IP, X-Forwarded-For and X-Forwarded-Host from what the gateway knows', async () => {
    const seen = await forwarded(strict, [['X-Real-IP', '10.9.9.9'], ['X-Forwarded-Host', 'evil.example'], ['True-Client-IP', '10.9.9.9']]);
    expect(seen.headers['x-real-ip']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-host']).toBe('api.example.com');
    expect(seen.headers['true-client-ip']).toBeUndefined();
  });
});

/** Spellings that a CGI/WSGI server turns into HTTP_X_FORWARDED_FOR and kin. */
const UNDERSCORE_SPELLINGS = [
  'X_Portcullis_Consumer', 'x_portcullis_scopes', 'X-Portcullis_Consumer', 'X_Forwarded_For', 'x_forwarded-for',
  'X_Forwarded_Proto', 'X_Forwarded_Host', 'X_Real_IP', 'True_Client_IP', 'X_Original_URL', 'X_Rewrite_URL',
  'X_Request_Id', 'X_API_Key', 'X_HTTP_Method_Override', 'Transfer_Encoding', 'Proxy_Authorization',
];

describe('header names with underscores', () => {
  it.each(UNDERSCORE_SPELLINGS)('drops %s by default', async (name) => {
    const seen = await forwarded(strict, [[name, 'spoofed']]);
    expect(seen.rawHeaders.map((h) => h.toLowerCase())).not.toContain(name.toLowerCase());
  });

  it('drops every underscore name by default, like nginx', async () => {
    const seen = await forwarded(strict, [['X_Custom_Thing', 'x'], ['X-Kept', 'kept']]);
    expect(seen.headers.x_custom_thing).toBeUndefined();
    expect(seen.headers['x-kept']).toBe('kept');
  });

  it.each(UNDERSCORE_SPELLINGS)('still drops %s with headers.allowUnderscores: true (it names a header the gateway owns)', async (name) => {
    const seen = await forwarded(lenient, [[name, 'spoofed']]);
    expect(seen.rawHeaders.map((h) => h.toLowerCase())).not.toContain(name.toLowerCase());
  });

  it('passes other underscore names with headers.allowUnderscores: true', async () => {
    const seen = await forwarded(lenient, [['X_Custom_Thing', 'x']]);
    expect(seen.headers.x_custom_thing).toBe('x');
    expect(seen.headers['x-real-ip']).toBe('127.0.0.1');
  });
});
