import { createSecretKey, randomBytes } from 'node:crypto';
import { generateCredential, signRequest } from '@portcullis/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway, IssuedKey } from '../helpers/gateway.js';
import { delta, scrape as scrapeMetrics, totalDelta } from '../helpers/metrics.js';
import { basic, createOAuthClient, postForm } from '../helpers/oauth.js';
import type { IssuedClient } from '../helpers/oauth.js';

/**
 * The OAuth server and the traffic policies report through the one security-event API: real requests
 * (bad client secrets, brute force, over-limit, bad signatures) move the metrics, fire the anomaly rules
 * and leave audit records; normal traffic leaves no trace but its own counters.
 */
let t: CredentialGateway;
let key: IssuedKey;
let client: IssuedClient;

beforeAll(async () => {
  t = await startCredentialGateway((url) => ({
    trustedProxies: ['127.0.0.1/32', '::1/128'],
    bruteForce: { ipFailures: 4, credentialFailures: 1000, window: '10m', block: '10m', slowAfter: 1000, maxDelay: '20ms' },
    alerts: { tokenFailures: { failures: 3, window: '1m' }, failureSpike: { failures: 1000, window: '1m' } },
    services: [
      {
        name: 'companies',
        upstream: url,
        routes: [
          { match: 'GET /companies/*', scopes: ['companies:read'] },
          { match: 'GET /limited', scopes: ['companies:read'], rateLimit: { requests: 1, per: '1m' } },
          { match: 'POST /signed', scopes: ['companies:read'], signature: 'required' },
        ],
      },
    ],
  }));
  const consumerId = await t.createConsumer();
  key = await t.createKey({ consumerId, scopes: ['companies:read'] });
  client = await createOAuthClient(t, { consumerId, scopes: ['companies:read'] });
});
afterAll(() => t?.stop());

const scrape = () => scrapeMetrics((path) => t.admin('GET', path));
const from = (ip: string) => ({ 'x-forwarded-for': ip });

async function alerts(rule: string): Promise<{ subject: string; detail: Record<string, unknown> }[]> {
  await t.gateway.operations.alerts.settle();
  return ((await t.admin('GET', `/admin/v1/alerts?rule=${rule}`)).json() as { alerts: { subject: string; detail: Record<string, unknown> }[] }).alerts;
}

async function audit(action: string): Promise<{ action: string; target: string; detail: Record<string, unknown> }[]> {
  await t.gateway.operations.flush();
  return ((await t.admin('GET', `/admin/v1/audit?action=${action}`)).json() as { events: { action: string; target: string; detail: Record<string, unknown> }[] }).events;
}

const SECURITY_SERIES = [
  'portcullis_oauth_token_failures_total',
  'portcullis_brute_force_blocks_total',
  'portcullis_rate_limited_total',
  'portcullis_signature_failures_total',
  'portcullis_auth_failures_total',
];

describe('security events from real traffic', () => {
  it('normal traffic (good keys, a token) counts the token and stays quiet otherwise: no event on the success path', async () => {
    const emitted: string[] = [];
    const stop = t.gateway.operations.securityEvents.on((event) => emitted.push(event.kind));
    const before = await scrape();
    for (let i = 0; i < 5; i++) expect((await t.callWith(key.key, '/companies/1', { headers: from('192.0.2.1') })).status).toBe(200);
    const token = await postForm(t, '/oauth/token', { grant_type: 'client_credentials' }, { ...basic(client.client_id, client.client_secret as string), ...from('192.0.2.1') });
    expect(token.status, token.text).toBe(200);
    expect((await t.callWith((token.json() as { access_token: string }).access_token, '/companies/2', { headers: from('192.0.2.1') })).status).toBe(200);
    const after = await scrape();
    stop();
    expect(emitted).toEqual(['token_issued']);
    expect(delta(before, after, 'portcullis_oauth_tokens_issued_total{grant="client_credentials"}')).toBe(1);
    for (const metric of SECURITY_SERIES) expect(totalDelta(before, after, metric), metric).toBe(0);
    for (const rule of ['token-failures', 'brute-force', 'failure-spike']) expect(await alerts(rule)).toEqual([]);
    expect(await audit('auth.*')).toEqual([]);
  });

  it('bad client secrets at /oauth/token: counted, the token-failures rule fires, the audit log has their summary', async () => {
    const before = await scrape();
    for (let i = 0; i < 3; i++) {
      const reply = await postForm(t, '/oauth/token', { grant_type: 'client_credentials' }, { ...basic(client.client_id, randomBytes(16).toString('hex')), ...from('198.51.100.20') });
      expect(reply.status).toBe(401);
    }
    const after = await scrape();
    expect(delta(before, after, 'portcullis_oauth_token_failures_total{reason="invalid_client"}')).toBe(3);
    expect(delta(before, after, 'portcullis_auth_failures_total{reason="client-mismatch"}')).toBe(3);
    expect(await alerts('token-failures')).toEqual([expect.objectContaining({ subject: `client:${client.client_id}`, detail: expect.objectContaining({ clientIp: '198.51.100.20' }) })]);
    const summaries = await audit('auth.failures');
    expect(summaries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ target: 'oauth-token', detail: expect.objectContaining({ reasons: { invalid_client: 3 }, clientIps: ['198.51.100.20'] }) }),
        expect.objectContaining({ target: 'credentials', detail: expect.objectContaining({ reasons: { 'client-mismatch': 3 } }) }),
      ]),
    );
  });

  it('brute force: the block is counted, audited and alerted on', async () => {
    const attacker = '198.51.100.30';
    const before = await scrape();
    for (let i = 0; i < 4; i++) expectProblem(await t.callWith(generateCredential('apiKey').value, '/companies/1', { headers: from(attacker) }), 401, 'invalid-credential');
    expectProblem(await t.callWith(generateCredential('apiKey').value, '/companies/1', { headers: from(attacker) }), 429, 'rate-limited');
    const after = await scrape();
    expect(delta(before, after, 'portcullis_brute_force_blocks_total{kind="ip"}')).toBe(1);
    expect(delta(before, after, 'portcullis_auth_failures_total{reason="unknown"}')).toBe(5);
    expect(await alerts('brute-force')).toEqual([expect.objectContaining({ subject: `ip:${attacker}`, detail: expect.objectContaining({ failures: 5 }) })]);
    expect(await audit('auth.block')).toEqual([expect.objectContaining({ target: `ip:${attacker}`, detail: expect.objectContaining({ failures: 5, clientIp: attacker }) })]);
    const [summary] = (await audit('auth.failures')).filter((e) => e.target === 'credentials' && (e.detail.clientIps as string[]).includes(attacker));
    expect(summary?.detail.reasons).toEqual({ unknown: 5 });
  });

  it('over the limit: each 429 is counted by service and subject', async () => {
    const before = await scrape();
    expect((await t.callWith(key.key, '/limited')).status).toBe(200);
    expectProblem(await t.callWith(key.key, '/limited'), 429, 'rate-limited');
    expectProblem(await t.callWith(key.key, '/limited'), 429, 'rate-limited');
    expect(delta(before, await scrape(), 'portcullis_rate_limited_total{service="companies",subject="consumer"}')).toBe(2);
  });

  it('bad signatures: counted by reason', async () => {
    t.clock.now = Date.now(); // signRequest stamps `created` with the real time
    const before = await scrape();
    expectProblem(await t.callWith(key.key, '/signed', { method: 'POST' }), 401, 'invalid-signature');
    const wrong = { keyId: 'nosuchkey', algorithm: 'hmac-sha256' as const, key: createSecretKey(randomBytes(32)) };
    const headers = { authorization: `Bearer ${key.key}` };
    const signature = signRequest({ method: 'POST', url: `${t.gateway.url}/signed`, headers }, wrong);
    expectProblem(await t.call('/signed', { method: 'POST', headers: { ...headers, ...signature } }), 401, 'invalid-signature');
    const after = await scrape();
    expect(delta(before, after, 'portcullis_signature_failures_total{reason="missing"}')).toBe(1);
    expect(totalDelta(before, after, 'portcullis_signature_failures_total')).toBe(2);
  });

  it('client and signing-key lifecycle land in the audit log, each with its change', async () => {
    const other = await createOAuthClient(t, { consumerId: await t.createConsumer(), scopes: ['companies:read'] });
    expect((await t.admin('POST', `/admin/v1/clients/${other.client_id}/rotate-secret`, { grace: '1h' })).status).toBe(200);
    expect((await t.admin('POST', `/admin/v1/clients/${other.client_id}/revoke`)).status).toBe(200);
    const rotated = await t.admin('POST', '/admin/v1/signing-keys/rotate', { lead: '1m' });
    expect(rotated.status, rotated.text).toBe(201);
    expect((await audit('client.*')).filter((e) => e.target === other.client_id).map((e) => e.action)).toEqual(['client.revoke', 'client.rotate-secret', 'client.create']);
    expect(await audit('signing-key.rotate')).toEqual([expect.objectContaining({ target: (rotated.json() as { kid: string }).kid })]);
  });
});
