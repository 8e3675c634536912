import { createServer as createTlsServer } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicyError, TransportError, auth, createClient } from '../../src/index.js';
import { createEgressPolicy } from '../../src/transport/egress-policy.js';
import { json, startTestServer, testCertificates } from '../helpers/tls-server.js';
import type { TestServer } from '../helpers/tls-server.js';

const LOOPBACK = ['127.0.0.1'];
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer(json(200, { ok: true }));
});
afterAll(() => server.close());

async function refusal(promise: Promise<unknown>): Promise<PolicyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PolicyError);
  return error as PolicyError;
}

describe('egress: refused before any connection', () => {
  it('refuses an http: URL, with a typed error and no connection', async () => {
    const before = server.connections();
    expect(() => createClient({ baseUrl: server.url.replace('https:', 'http:'), allowedHosts: ['127.0.0.1'], allowAddresses: LOOPBACK })).toThrow(PolicyError);
    const api = createClient({ baseUrl: server.url, allowedHosts: ['127.0.0.1'], allowAddresses: LOOPBACK });
    const error = await refusal(api.get(server.url.replace('https:', 'http:') + '/x'));
    expect(error.code).toBe('protocol_not_allowed');
    expect(server.connections()).toBe(before);
    await api.close();
  });

  it('refuses a host outside allowedHosts, and an absolute URL to one', async () => {
    const before = server.connections();
    expect(() => createClient({ baseUrl: server.url, allowedHosts: ['api.example.com'] })).toThrow(/127\.0\.0\.1 is not in allowedHosts/);
    const api = createClient({ baseUrl: server.url, allowedHosts: ['127.0.0.1'], allowAddresses: LOOPBACK });
    expect((await refusal(api.get(`https://localhost:${server.port}/x`))).code).toBe('host_not_allowed');
    expect(server.connections()).toBe(before);
    await api.close();
  });

  it('refuses a name resolving to 127.0.0.1 unless allowed, at connect time, before the socket opens', async () => {
    const before = server.connections();
    const api = createClient({ baseUrl: `https://localhost:${server.port}`, allowedHosts: ['localhost'], retry: false });
    const error = await refusal(api.get('/x'));
    expect(error.code).toBe('address_not_allowed');
    expect(error.message).toMatch(/localhost resolves to (127\.0\.0\.1|::1)/);
    expect(server.connections()).toBe(before);
    await api.close();
  });

  it('refuses IP literals in private, loopback and link-local ranges (cloud metadata included)', () => {
    const policy = createEgressPolicy({ allowedHosts: ['169.254.169.254', '10.0.0.1', '::1', '93.184.216.34', '::ffff:127.0.0.1'] });
    for (const host of ['169.254.169.254', '10.0.0.1', '[::1]', '[::ffff:127.0.0.1]']) {
      expect(() => policy.check(new URL(`https://${host}/`)), host).toThrow(PolicyError);
    }
    expect(() => policy.check(new URL('https://93.184.216.34/'))).not.toThrow();
  });

  it('matches allowedHosts exactly or by *.suffix, and refuses malformed entries at construction', () => {
    const policy = createEgressPolicy({ allowedHosts: ['api.example.com', '*.example.org'] });
    expect(() => policy.check(new URL('https://API.example.com/'))).not.toThrow();
    expect(() => policy.check(new URL('https://eu.api.example.org/'))).not.toThrow();
    expect(() => policy.check(new URL('https://example.org/'))).toThrow(PolicyError);
    expect(() => policy.check(new URL('https://api.example.com.evil.net/'))).toThrow(PolicyError);
    expect(() => policy.check(new URL('https://evilexample.org/'))).toThrow(PolicyError);
    expect(() => createEgressPolicy({ allowedHosts: [] })).toThrow(/allowedHosts is required/);
    expect(() => createEgressPolicy({ allowedHosts: ['https://api.example.com'] })).toThrow(/no scheme, port or path/);
    expect(() => createEgressPolicy({ allowedHosts: ['*'] })).toThrow(TypeError);
    expect(() => createEgressPolicy({ allowedHosts: ['a.com'], allowAddresses: ['nonsense'] })).toThrow(/allowAddresses/);
  });

  it('checks every redirect: a hop to a host outside allowedHosts is refused before it is sent', async () => {
    const target = await startTestServer(json(200, { reached: true }));
    server.handle((_req, res) => {
      res.writeHead(302, { location: `https://localhost:${target.port}/elsewhere` });
      res.end();
    });
    const api = createClient({ baseUrl: server.url, allowedHosts: ['127.0.0.1'], allowAddresses: LOOPBACK, ca: server.ca });
    expect((await refusal(api.get('/start'))).code).toBe('host_not_allowed');
    expect(target.connections()).toBe(0);
    // An allowed hop is followed, and the credential is not carried to another origin.
    server.handle((_req, res) => {
      res.writeHead(307, { location: `${target.url}/elsewhere` });
      res.end();
    });
    const key = 'planted-key-0123456789';
    const keyed = createClient({ baseUrl: server.url, allowedHosts: ['127.0.0.1'], allowAddresses: LOOPBACK, ca: server.ca, auth: auth.apiKey({ key }) });
    const res = await keyed.get('/start');
    expect(res.data).toEqual({ reached: true });
    expect(target.seen.at(-1)?.headers.authorization).toBeUndefined();
    server.handle(json(200, { ok: true }));
    await Promise.all([api.close(), keyed.close(), target.close()]);
  });
});

describe('TLS', () => {
  it('validates certificates: a server the CA does not vouch for is refused; there is no switch to turn it off', async () => {
    const api = createClient({ baseUrl: server.url, allowedHosts: ['127.0.0.1'], allowAddresses: LOOPBACK, retry: false });
    const error = await api.get('/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).reason).toMatch(/CERT|SELF_SIGNED|UNABLE_TO/);
    await api.close();
    const trusted = createClient({ baseUrl: server.url, allowedHosts: ['127.0.0.1'], allowAddresses: LOOPBACK, ca: server.ca });
    expect((await trusted.get('/x')).status).toBe(200);
    await trusted.close();
  });

  it('refuses a server that offers nothing newer than TLS 1.1', async () => {
    const tls = await testCertificates();
    const old = createTlsServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }, (_q, s) => s.end('{}'));
    await new Promise<void>((resolve) => old.listen(0, '127.0.0.1', resolve));
    const port = (old.address() as { port: number }).port;
    const api = createClient({ baseUrl: `https://127.0.0.1:${port}`, allowedHosts: ['127.0.0.1'], allowAddresses: LOOPBACK, ca: tls.ca, retry: false });
    const error = await api.get('/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe('transport_failed');
    await api.close();
    await new Promise((resolve) => old.close(resolve));
  });
});

describe('DNS rebinding and redirect loops', () => {
  it('checks the addresses of every connection: a name that turns into 127.0.0.1 on a later lookup is refused', async () => {
    const answers = ['93.184.216.34', '127.0.0.1'];
    const resolver = ((_host: string, _options: unknown, callback: (err: null, addresses: { address: string; family: number }[]) => void) =>
      callback(null, [{ address: answers.shift() ?? '127.0.0.1', family: 4 }])) as unknown as Parameters<typeof createEgressPolicy>[1];
    const policy = createEgressPolicy({ allowedHosts: ['rebind.example'] }, resolver);
    const lookup = (): Promise<unknown> =>
      new Promise((resolve, reject) => policy.lookup('rebind.example', {}, (err, address) => (err ? reject(err) : resolve(address))));
    await expect(lookup()).resolves.toBe('93.184.216.34');
    await expect(lookup()).rejects.toMatchObject({ name: 'PolicyError', code: 'address_not_allowed' });
  });

  it('stops a redirect loop with a typed error', async () => {
    const loop = await startTestServer((req, res) => {
      res.writeHead(302, { location: '/again' });
      res.end();
    });
    const api = createClient({ baseUrl: loop.url, allowedHosts: ['127.0.0.1'], allowAddresses: LOOPBACK, ca: loop.ca });
    await expect(api.get('/start')).rejects.toMatchObject({ name: 'TransportError', code: 'too_many_redirects' });
    expect(loop.seen).toHaveLength(6);
    await api.close();
    await loop.close();
  });
});
