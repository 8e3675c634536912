import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { verifyAuditChain } from '../../src/observe/audit.js';
import { createMetrics } from '../../src/observe/metrics.js';
import { createAuthorizeStage } from '../../src/pipeline/authorize.js';
import type { RequestContext } from '../../src/pipeline/context.js';
import { compileRoutes } from '../../src/pipeline/route.js';
import { captureLogs } from '../helpers/log-capture.js';
import { inRanges, normalizeIp, parseRanges } from '../../src/http/ip-ranges.js';
import { createClientIpResolver } from '../../src/pipeline/identify.js';
import { companiesService, expectProblem, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway, Reply } from '../helpers/gateway.js';

/**
 * Per-key IP and Origin allow-lists and scopes, through real gateways. The test client always connects
 * from 127.0.0.1; X-Forwarded-For must move the client address only when the peer is a trusted proxy.
 */

let direct: CredentialGateway; // trustedProxies: []
let proxied: CredentialGateway; // trustedProxies: [127.0.0.1/32]
let directConsumer: string;
let proxiedConsumer: string;

beforeAll(async () => {
  [direct, proxied] = await Promise.all([
    startCredentialGateway((url) => ({ trustedProxies: [], services: [companiesService(url)] })),
    startCredentialGateway((url) => ({ trustedProxies: ['127.0.0.1/32'], services: [companiesService(url)] })),
  ]);
  [directConsumer, proxiedConsumer] = await Promise.all([direct.createConsumer(), proxied.createConsumer()]);
});
afterAll(async () => {
  await Promise.all([direct?.stop(), proxied?.stop()]);
});

/**
 * An allow-list miss answers exactly as a bad credential does (issue 6): 401, the same
 * WWW-Authenticate, the same body but for the request id. A 403 would tell a thief the key is good.
 */
function expectRefusedAsBadCredential(reply: Reply): void {
  expectProblem(reply, 401, 'invalid-credential');
  expect(reply.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  const id = reply.headers['x-request-id'] as string;
  expect(reply.text).toBe(`{"type":"urn:portcullis:problem:invalid-credential","title":"Unauthorized","status":401,"instance":"${id}"}`);
}

function keyFor(t: CredentialGateway, fields: Record<string, unknown>) {
  return t.createKey({ consumerId: t === direct ? directConsumer : proxiedConsumer, scopes: ['companies:read'], ...fields });
}

describe('IP allow-lists', () => {
  it.each([
    ['127.0.0.1/32'],
    ['127.0.0.1'],
    ['127.0.0.0/8'],
    ['10.0.0.0/8', '127.0.0.0/8'],
    ['::ffff:127.0.0.1'],
    ['::ffff:127.0.0.0/104'],
    ['::ffff:7f00:1'],
  ].map((allowedIps) => ({ allowedIps })))('lets a loopback caller through with allowedIps $allowedIps', async ({ allowedIps }) => {
    const key = await keyFor(direct, { allowedIps });
    expect(key.allowedIps).toEqual(allowedIps);
    expect((await direct.callWith(key.key)).status).toBe(200);
  });

  it.each([['10.0.0.0/8'], ['192.168.0.0/16', '10.0.0.0/8'], ['::ffff:10.0.0.0/104'], ['::1'], ['128.0.0.1/32']].map((allowedIps) => ({ allowedIps })))(
    'refuses a loopback caller for allowedIps $allowedIps with the 401 of a bad credential',
    async ({ allowedIps }) => {
      const key = await keyFor(direct, { allowedIps });
      expectRefusedAsBadCredential(await direct.callWith(key.key));
    },
  );

  it('treats IPv4-mapped IPv6 peers and entries as the IPv4 address they carry', () => {
    const resolve = createClientIpResolver([]);
    expect(resolve('::ffff:127.0.0.1', undefined)).toBe('127.0.0.1');
    const mapped = normalizeIp('::ffff:10.1.2.3');
    expect(mapped?.kind()).toBe('ipv4');
    expect(inRanges(mapped as NonNullable<typeof mapped>, parseRanges(['10.0.0.0/8']))).toBe(true);
    expect(inRanges(normalizeIp('10.1.2.3') as NonNullable<typeof mapped>, parseRanges(['::ffff:10.0.0.0/104']))).toBe(true);
    expect(inRanges(normalizeIp('11.1.2.3') as NonNullable<typeof mapped>, parseRanges(['::ffff:10.0.0.0/104']))).toBe(false);
    // A real IPv6 address does not match an IPv4 range and vice versa.
    expect(inRanges(normalizeIp('::1') as NonNullable<typeof mapped>, parseRanges(['127.0.0.0/8']))).toBe(false);
  });
});

describe('Origin allow-lists', () => {
  let key: string;
  beforeAll(async () => {
    key = (await keyFor(direct, { allowedOrigins: ['app.example.com', '*.example.org'] })).key;
  });

  it.each(['https://app.example.com', 'https://x.example.org', 'https://a.b.example.org', 'https://APP.Example.com', 'http://app.example.com:8080'])(
    'accepts Origin %s',
    async (origin) => {
      expect((await direct.callWith(key, '/companies/1', { headers: { origin } })).status).toBe(200);
    },
  );

  it.each(['https://example.org', 'https://evil.com', 'https://app.example.com.evil.com', 'https://evilexample.org', 'https://example.com', 'null', 'not a url'])(
    'refuses Origin %s with the 401 of a bad credential',
    async (origin) => {
      expectRefusedAsBadCredential(await direct.callWith(key, '/companies/1', { headers: { origin } }));
    },
  );

  it('refuses a request without Origin when the key has an Origin allow-list', async () => {
    expectRefusedAsBadCredential(await direct.callWith(key));
  });

  it('refuses an origin entry that is not a host (400 naming the field)', async () => {
    const reply = await direct.admin('POST', '/admin/v1/keys', { consumerId: directConsumer, allowedOrigins: ['app.example.com', 'https://x.example.org'] });
    const body = expectProblem(reply, 400, 'bad-request');
    expect((body.errors as { field: string }[]).map((e) => e.field)).toEqual(['allowedOrigins[1]']);
  });
});

describe('scopes', () => {
  it('refuses a missing scope with 403 insufficient_scope naming the scope needed (RFC 6750 §3.1)', async () => {
    const key = await keyFor(direct, { scopes: ['companies:read'] });
    const reply = await direct.callWith(key.key, '/companies', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expectProblem(reply, 403, 'insufficient-scope');
    expect(reply.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="companies:write"');
    expect((await direct.callWith(key.key)).status).toBe(200);
  });

  it('refuses a key without scopes on a route that needs one', async () => {
    const key = await keyFor(direct, { scopes: [] });
    expectProblem(await direct.callWith(key.key), 403, 'insufficient-scope');
  });

  it('tells a caller outside the allow-list nothing about scopes (allow-list checked first)', async () => {
    const key = await keyFor(direct, { scopes: [], allowedIps: ['10.0.0.0/8'] });
    expectRefusedAsBadCredential(await direct.callWith(key.key));
  });
});

describe('X-Forwarded-For counts only from a trusted proxy', () => {
  it('ignores X-Forwarded-For from an untrusted peer: a 10/8 key stays refused, a loopback key stays accepted', async () => {
    const tenNet = await keyFor(direct, { allowedIps: ['10.0.0.0/8'] });
    const loopback = await keyFor(direct, { allowedIps: ['127.0.0.1/32'] });
    for (const spoof of [{ 'x-forwarded-for': '10.1.2.3' }, { 'x-forwarded-for': '10.1.2.3, 10.9.9.9' }, { forwarded: 'for=10.1.2.3' }, { 'x-real-ip': '10.1.2.3' }]) {
      expectRefusedAsBadCredential(await direct.callWith(tenNet.key, '/companies/1', { headers: spoof }));
      expect((await direct.callWith(loopback.key, '/companies/1', { headers: spoof })).status).toBe(200);
      // The upstream hears the real peer, not the spoofed value.
      expect(direct.upstream.seen.at(-1)?.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(direct.upstream.seen.at(-1)?.headers.forwarded).toBeUndefined();
    }
  });

  it('uses X-Forwarded-For from a trusted proxy: the 10/8 key passes for 10.1.2.3, the loopback key does not', async () => {
    const tenNet = await keyFor(proxied, { allowedIps: ['10.0.0.0/8'] });
    const loopback = await keyFor(proxied, { allowedIps: ['127.0.0.1/32'] });
    const xff = { 'x-forwarded-for': '10.1.2.3' };
    expect((await proxied.callWith(tenNet.key, '/companies/1', { headers: xff })).status).toBe(200);
    expect(proxied.upstream.seen.at(-1)?.headers['x-forwarded-for']).toBe('10.1.2.3');
    expectRefusedAsBadCredential(await proxied.callWith(loopback.key, '/companies/1', { headers: xff }));
    // Without the header, the trusted proxy itself is the client.
    expect((await proxied.callWith(loopback.key)).status).toBe(200);
    expectRefusedAsBadCredential(await proxied.callWith(tenNet.key));
  });

  it('walks X-Forwarded-For from the right, so a value the client prepends cannot choose the address', async () => {
    const loopback = await keyFor(proxied, { allowedIps: ['127.0.0.1/32'] });
    const tenNet = await keyFor(proxied, { allowedIps: ['10.0.0.0/8'] });
    // The client sent "X-Forwarded-For: 127.0.0.1" and the proxy appended the address it saw, 10.1.2.3.
    expectRefusedAsBadCredential(await proxied.callWith(loopback.key, '/companies/1', { headers: { 'x-forwarded-for': '127.0.0.1, 10.1.2.3' } }));
    // Trusted hops on the right are skipped.
    expect((await proxied.callWith(tenNet.key, '/companies/1', { headers: { 'x-forwarded-for': '10.1.2.3, 127.0.0.1' } })).status).toBe(200);
    // A malformed rightmost hop: nothing to its left is believed, the peer is the client.
    expectRefusedAsBadCredential(await proxied.callWith(tenNet.key, '/companies/1', { headers: { 'x-forwarded-for': '10.1.2.3, not-an-ip' } }));
  });
});

describe('an allow-list miss says nothing to the caller, and everything to the operator', () => {
  async function failures(t: CredentialGateway): Promise<Map<string, number>> {
    const metric = await t.gateway.metrics.authFailures.get();
    return new Map(metric.values.map((v) => [String(v.labels.reason), v.value]));
  }

  it('answers an IP or Origin miss byte for byte like an unknown key, apart from the request id', async () => {
    const ipBound = await keyFor(direct, { allowedIps: ['10.0.0.0/8'] });
    const originBound = await keyFor(direct, { allowedOrigins: ['app.example.com'] });
    const unknown = `${ipBound.key.slice(0, 4)}AAAAAAAAAAAA${ipBound.key.slice(16)}`; // another id: never issued
    const replies = await Promise.all([direct.callWith(ipBound.key), direct.callWith(originBound.key), direct.callWith(unknown)]);
    const shapes = replies.map((reply) => {
      const { date: _date, 'x-request-id': id, ...headers } = reply.headers;
      return { status: reply.status, headers, body: reply.text.replace(id as string, '') };
    });
    expect(shapes[0]).toEqual(shapes[2]);
    expect(shapes[1]).toEqual(shapes[2]);
  });

  it('counts the reason in portcullis_auth_failures_total and logs it at debug with the request id', async () => {
    const ipBound = await keyFor(direct, { allowedIps: ['10.0.0.0/8'] });
    const originBound = await keyFor(direct, { allowedOrigins: ['app.example.com'] });
    const before = await failures(direct);
    const ipReply = await direct.callWith(ipBound.key);
    const originReply = await direct.callWith(originBound.key, '/companies/1', { headers: { origin: 'https://evil.example' } });
    const after = await failures(direct);
    expect((after.get('ip-not-allowed') ?? 0) - (before.get('ip-not-allowed') ?? 0)).toBe(1);
    expect((after.get('origin-not-allowed') ?? 0) - (before.get('origin-not-allowed') ?? 0)).toBe(1);
    const logged = direct.logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toContainEqual(expect.objectContaining({ level: 'debug', msg: 'credential refused', reason: 'ip-not-allowed', requestId: ipReply.headers['x-request-id'], credentialId: ipBound.id }));
    expect(logged).toContainEqual(expect.objectContaining({ level: 'debug', msg: 'credential refused', reason: 'origin-not-allowed', requestId: originReply.headers['x-request-id'], credentialId: originBound.id }));
  });
});

describe('the key\'s owner sees allow-list refusals in the audit log', () => {
  it('records key.refused per key with the reasons, sample addresses and origins, batched off the hot path', async () => {
    const key = await keyFor(direct, { allowedIps: ['10.0.0.0/8'] });
    const originBound = await keyFor(direct, { allowedOrigins: ['app.example.com'] });
    await direct.callWith(key.key);
    await direct.callWith(key.key, '/companies/1', { headers: { origin: 'https://evil.example' } });
    await direct.callWith(originBound.key, '/companies/1', { headers: { origin: 'https://evil.example' } });
    const rows = () =>
      direct.gateway.db.query<{ target: string; actor: string; detail: Record<string, unknown> }>(
        "SELECT target, actor, detail FROM audit_events WHERE action = 'key.refused' AND target = ANY($1) ORDER BY seq",
        [[key.id, originBound.id]],
      );
    await direct.gateway.flushUsage();
    const written = await rows();
    expect(written).toHaveLength(2);
    expect(written.find((r) => r.target === key.id)).toMatchObject({
      actor: 'gateway',
      detail: { consumerId: directConsumer, reasons: { 'ip-not-allowed': 2 }, clientIps: ['127.0.0.1'], origins: ['https://evil.example'] },
    });
    expect(written.find((r) => r.target === originBound.id)).toMatchObject({ detail: { reasons: { 'origin-not-allowed': 1 } } });
    expect(JSON.stringify(written)).not.toContain(key.key);
    expect(await verifyAuditChain(direct.gateway.db)).toMatchObject({ ok: true });
  });
});

describe('authorize fails closed (issue 7)', () => {
  it('refuses a protected route that reached it without a principal, and logs the wiring fault', () => {
    const logs = captureLogs();
    const metrics = createMetrics();
    const authorize = createAuthorizeStage({ metrics, logger: logs.logger });
    const routes = compileRoutes(validateConfig({ services: [companiesService('http://127.0.0.1:9')] }, 'test', '/tmp', {}).services);
    const route = routes[0];
    const ctx: RequestContext = { id: 'req-1', startedAt: 0, clientIp: '127.0.0.1', path: '/companies/1', query: '', route, principal: undefined, responseHeaders: undefined, bodyTransform: undefined };
    const refusal = authorize({ headers: {} } as IncomingMessage, ctx);
    expect(refusal).toMatchObject({ code: 'invalid-credential' });
    expect(logs.text()).toContain('refusing (fail closed)');
    // No route at all is refused the same way; a public route passes without a principal.
    expect(authorize({ headers: {} } as IncomingMessage, { ...ctx, route: undefined })).toMatchObject({ code: 'invalid-credential' });
    const publicRoute = routes.find((r) => r.public);
    expect(authorize({ headers: {} } as IncomingMessage, { ...ctx, route: publicRoute })).toBeUndefined();
  });
});
