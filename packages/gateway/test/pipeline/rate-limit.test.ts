import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway } from '../helpers/gateway.js';

/** One instance, in-process limits: every limit and refusal through a real gateway. */
describe('rate limits (one instance)', () => {
  let t: CredentialGateway;

  beforeAll(async () => {
    t = await startCredentialGateway((url) => ({
      services: [
        {
          name: 'companies',
          upstream: url,
          rateLimit: { requests: 3, per: '1m' },
          ipRateLimit: { requests: 2, per: '1m' },
          routes: [
            { match: 'GET /companies/*', scopes: ['companies:read'] },
            { match: 'POST /companies', scopes: ['companies:write'], rateLimit: { requests: 1, per: '30s' } },
            { match: 'GET /public', public: true },
          ],
        },
      ],
    }));
  });
  afterAll(async () => {
    await t?.stop();
  });

  async function newKey(scopes = ['companies:read', 'companies:write']) {
    const consumerId = await t.createConsumer();
    return { consumerId, ...(await t.createKey({ consumerId, scopes })) };
  }

  it('admits N requests per consumer with RateLimit headers, then answers 429 with Retry-After, RateLimit-Policy and RateLimit', async () => {
    const { key } = await newKey();
    const seen = [];
    for (let i = 0; i < 3; i++) {
      const reply = await t.callWith(key);
      expect(reply.status).toBe(200);
      expect(reply.headers['ratelimit-policy']).toBe('"consumer";q=3;w=60');
      seen.push(reply.headers.ratelimit);
    }
    expect(seen).toEqual(['"consumer";r=2;t=60', '"consumer";r=1;t=60', '"consumer";r=0;t=60']);
    const refused = await t.callWith(key);
    expectProblem(refused, 429, 'rate-limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(59);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused.headers['ratelimit-policy']).toBe('"consumer";q=3;w=60');
    expect(refused.headers.ratelimit).toMatch(/^"consumer";r=0;t=(59|60)$/);
    const metrics = await t.admin('GET', '/metrics');
    expect(metrics.text).toMatch(/portcullis_rate_limited_total\{service="companies",subject="consumer"\} [1-9]/);
  });

  it('belongs to the consumer: a rotated key, or a second key, does not get a fresh budget', async () => {
    const { consumerId, key, id } = await newKey();
    for (let i = 0; i < 3; i++) expect((await t.callWith(key)).status).toBe(200);
    const rotated = await t.admin('POST', `/admin/v1/keys/${id}/rotate`, {});
    expect(rotated.status).toBe(201);
    expectProblem(await t.callWith((rotated.json() as { key: string }).key), 429, 'rate-limited');
    const second = await t.createKey({ consumerId, scopes: ['companies:read'] });
    expectProblem(await t.callWith(second.key), 429, 'rate-limited');
  });

  it('keeps consumers apart', async () => {
    const first = await newKey();
    const second = await newKey();
    for (let i = 0; i < 3; i++) await t.callWith(first.key);
    expectProblem(await t.callWith(first.key), 429, 'rate-limited');
    expect((await t.callWith(second.key)).status).toBe(200);
  });

  it("gives a route with its own rateLimit its own budget", async () => {
    const { key } = await newKey();
    const post = () => t.callWith(key, '/companies', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    const first = await post();
    expect(first.status).toBe(200);
    expect(first.headers['ratelimit-policy']).toBe('"consumer";q=1;w=30');
    expectProblem(await post(), 429, 'rate-limited');
    expect((await t.callWith(key)).status).toBe(200); // the service budget is untouched
  });

  it('limits public routes per client IP, and X-Forwarded-For from an untrusted peer does not reset it', async () => {
    const ok = await t.call('/public', { headers: { 'x-forwarded-for': '203.0.113.1' } });
    expect(ok.status).toBe(200);
    expect(ok.headers['ratelimit-policy']).toBe('"ip";q=2;w=60');
    expect(ok.headers.ratelimit).toBe('"ip";r=1;t=60');
    expect((await t.call('/public', { headers: { 'x-forwarded-for': '203.0.113.2' } })).status).toBe(200);
    const refused = await t.call('/public', { headers: { 'x-forwarded-for': '203.0.113.3' } });
    expectProblem(refused, 429, 'rate-limited');
    expect(refused.headers.ratelimit).toMatch(/^"ip";r=0;t=\d+$/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });
});

/** Behind a trusted proxy, clients can be IPv6: they are counted by /64, not one address at a time. */
describe('rate limits for IPv6 clients', () => {
  let t: CredentialGateway;

  beforeAll(async () => {
    t = await startCredentialGateway((url) => ({
      trustedProxies: ['127.0.0.1/32'],
      bruteForce: { ipFailures: 3, credentialFailures: 1000, slowAfter: 1000 },
      services: [{ name: 'companies', upstream: url, ipRateLimit: { requests: 2, per: '1m' }, routes: [{ match: 'GET /public', public: true }, { match: 'GET /companies/*', scopes: ['companies:read'] }] }],
    }));
  });
  afterAll(async () => {
    await t?.stop();
  });

  const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });

  it('one /64 shares one budget: a new address in it is no new budget; another /64 has its own', async () => {
    expect((await t.call('/public', from('2001:db8:1:2::1'))).status).toBe(200);
    expect((await t.call('/public', from('2001:db8:1:2::2'))).status).toBe(200);
    expectProblem(await t.call('/public', from('2001:db8:1:2:ffff::3')), 429, 'rate-limited');
    expect((await t.call('/public', from('2001:db8:1:3::1'))).status).toBe(200);
  });

  it('brute-force blocks the /64 that failed, not only the one address', async () => {
    const bad = { headers: { authorization: 'Bearer pck_notarealkey_000000000000000000000000000000000000', 'x-forwarded-for': '' } };
    for (const host of ['1', '2', '3']) {
      bad.headers['x-forwarded-for'] = `2001:db8:9:9::${host}`;
      expect((await t.call('/companies/1', bad)).status).toBe(401);
    }
    bad.headers['x-forwarded-for'] = '2001:db8:9:9::4';
    expectProblem(await t.call('/companies/1', bad), 429, 'rate-limited');
    bad.headers['x-forwarded-for'] = '2001:db8:9:a::1';
    expect((await t.call('/companies/1', bad)).status).toBe(401);
  });
});
