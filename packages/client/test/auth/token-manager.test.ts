import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuthError, HttpError, auth } from '../../src/index.js';
import { clientFor } from '../helpers/client.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { json, startTestServer } from '../helpers/tls-server.js';
import type { TestServer } from '../helpers/tls-server.js';

/**
 * One HTTPS server plays both parts: POST /token is a client-credentials token endpoint that counts
 * its requests, everything else is an API that accepts only the tokens in `valid`.
 */
let server: TestServer;
let issued: string[];
let valid: Set<string>;
let tokenAnswer: () => { status: number; body: Record<string, unknown> };
let beforeAnswer: () => void;
const SECRET = 'cc-secret-planted-7f3a9c';

beforeAll(async () => {
  server = await startTestServer((req, res) => {
    if (req.url === '/token') {
      beforeAnswer();
      const answer = tokenAnswer();
      if (answer.status === 200) {
        const token = `tok-${issued.length + 1}-${'x'.repeat(12)}`;
        issued.push(token);
        valid.add(token);
        answer.body.access_token = token;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return void res.end(JSON.stringify(answer.body));
    }
    const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
    if (!valid.has(token)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' });
      return void res.end();
    }
    json(200, { token })(req, res, '');
  });
});
afterAll(() => server.close());
beforeEach(() => {
  issued = [];
  valid = new Set();
  tokenAnswer = () => ({ status: 200, body: { token_type: 'Bearer', expires_in: 3600 } });
  beforeAnswer = () => {};
  server.seen.length = 0;
});

const tokenRequests = (): number => server.seen.filter((s) => s.url === '/token').length;

function ccClient(clock = new FakeClock()) {
  return clientFor(server, {
    clock,
    auth: auth.clientCredentials({ tokenUrl: `${server.url}/token`, clientId: 'svc', clientSecret: SECRET }),
  });
}

// Up to 100 concurrent TLS calls per test: give a loaded machine room.
describe('token acquisition and refresh', { timeout: 90_000 }, () => {
  it('single flight: 100 concurrent calls cause exactly one token request', async () => {
    const { client } = ccClient();
    const results = await Promise.all(Array.from({ length: 100 }, () => client.get('/data')));
    expect(tokenRequests()).toBe(1);
    expect(new Set(results.map((r) => (r.data as { token: string }).token))).toEqual(new Set(issued));
    expect(client.counters.token_refreshed).toBe(1);
    // client_secret_basic (RFC 6749 §2.3.1)
    const basic = server.seen.find((s) => s.url === '/token')?.headers.authorization;
    expect(decodeURIComponent(Buffer.from(basic!.replace("Basic ", ""), "base64").toString())).toBe(`svc:${SECRET}`);
    await client.close();
  });

  it('refreshes when 5 minutes remain of a one-hour token, once for any number of concurrent calls', async () => {
    const clock = new FakeClock();
    const { client } = ccClient(clock);
    await client.get('/data');
    clock.advance(54 * 60_000 + 59_000);
    await client.get('/data');
    expect(tokenRequests()).toBe(1);
    clock.advance(2_000);
    await Promise.all(Array.from({ length: 20 }, () => client.get('/data')));
    expect(tokenRequests()).toBe(2);
    await client.close();
  });

  it('refreshes a short token when 10% of its lifetime remains', async () => {
    tokenAnswer = () => ({ status: 200, body: { token_type: 'Bearer', expires_in: 60 } });
    const clock = new FakeClock();
    const { client } = ccClient(clock);
    await client.get('/data');
    clock.advance(53_000);
    await client.get('/data');
    expect(tokenRequests()).toBe(1);
    clock.advance(2_000);
    await client.get('/data');
    expect(tokenRequests()).toBe(2);
    await client.close();
  });

  it('assumes 55 minutes when the server sends no lifetime', async () => {
    tokenAnswer = () => ({ status: 200, body: { token_type: 'Bearer' } });
    const clock = new FakeClock();
    const { client } = ccClient(clock);
    await client.get('/data');
    clock.advance(49 * 60_000);
    await client.get('/data');
    expect(tokenRequests()).toBe(1);
    clock.advance(2 * 60_000);
    await client.get('/data');
    expect(tokenRequests()).toBe(2);
    await client.close();
  });

  it('counts the lifetime from when the token request was sent, so latency cannot eat the margin', async () => {
    tokenAnswer = () => ({ status: 200, body: { token_type: 'Bearer', expires_in: 60 } });
    const clock = new FakeClock();
    beforeAnswer = () => clock.advance(20_000); // the token endpoint takes 20 s to answer
    const { client } = ccClient(clock);
    const sent = clock.now();
    await client.get('/data');
    beforeAnswer = () => {};
    clock.current = sent + 53_000;
    await client.get('/data');
    expect(tokenRequests()).toBe(1);
    clock.current = sent + 55_000; // 54 s after sending; counted from receipt it would wait until 74 s
    await client.get('/data');
    expect(tokenRequests()).toBe(2);
    await client.close();
  });
});

describe('401 and failures', { timeout: 90_000 }, () => {
  it('a 401 triggers one coalesced refresh and one retry for all the calls it refused', async () => {
    const { client } = ccClient();
    await client.get('/data');
    valid.clear(); // the server revokes the token
    const results = await Promise.all(Array.from({ length: 50 }, () => client.get('/data')));
    expect(tokenRequests()).toBe(2);
    expect(results.every((r) => (r.data as { token: string }).token === issued[1])).toBe(true);
    expect(client.counters.auth_failure).toBe(50);
    await client.close();
  });

  it('never loops: a second 401 after the refresh is returned as an HttpError', async () => {
    const { client } = ccClient();
    await client.get('/data');
    valid.clear();
    const original = valid.add.bind(valid);
    valid.add = () => valid; // new tokens are refused too
    const error = await client.get('/data').catch((e: unknown) => e);
    valid.add = original;
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(401);
    expect(tokenRequests()).toBe(2);
    expect(server.seen.filter((s) => s.url === '/data')).toHaveLength(3);
    await client.close();
  });

  it('a failed token request cools down instead of hammering, and emits token_refresh_failed', async () => {
    tokenAnswer = () => ({ status: 500, body: {} });
    const clock = new FakeClock();
    const { client } = ccClient(clock);
    const failures: { code: string; retryAt: number }[] = [];
    client.on('token_refresh_failed', (e) => failures.push(e));
    await expect(client.get('/data')).rejects.toBeInstanceOf(AuthError);
    await expect(client.get('/data')).rejects.toMatchObject({ code: 'token_unavailable' });
    expect(tokenRequests()).toBe(1);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.retryAt).toBe(clock.now() + 1000);
    clock.advance(1_001);
    tokenAnswer = () => ({ status: 200, body: { token_type: 'Bearer', expires_in: 3600 } });
    expect((await client.get('/data')).status).toBe(200);
    expect(tokenRequests()).toBe(2);
    await client.close();
  });

  it('a refresh ahead of expiry that fails keeps using the still-valid token', async () => {
    const clock = new FakeClock();
    const { client } = ccClient(clock);
    await client.get('/data');
    tokenAnswer = () => ({ status: 503, body: {} });
    clock.advance(56 * 60_000);
    expect((await client.get('/data')).data).toEqual({ token: issued[0] });
    expect(client.counters.token_refresh_failed).toBe(1);
    await client.close();
  });

  it('refuses an OAuth error with an AuthError naming the error code, never the secret', async () => {
    tokenAnswer = () => ({ status: 401, body: { error: 'invalid_client', error_description: `bad secret ${SECRET}` } });
    const { client } = ccClient();
    const error = (await client.get('/data').catch((e: unknown) => e)) as AuthError;
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toContain('invalid_client');
    expect(error.message).not.toContain(SECRET);
    await client.close();
  });

  it('a token endpoint that never answers fails the call at its deadline, not never', async () => {
    const hanging = await startTestServer(() => {}); // accepts the connection, never answers
    const { client } = clientFor(server, {
      timeout: 300,
      auth: auth.clientCredentials({ tokenUrl: `${hanging.url}/token`, clientId: 'svc', clientSecret: SECRET }),
    });
    await expect(client.get('/data')).rejects.toMatchObject({ code: 'timeout' });
    expect(client.counters.token_refresh_failed).toBe(1);
    await client.close();
    await hanging.close();
  });
});
