import { createHash, createHmac, createSecretKey, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyRequestSignature } from '@portcullis/protocol';
import { httpbis } from 'http-message-signatures';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureDevCertificates } from '../../src/server/dev-ca.js';
import { DAY, companiesService, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway, IssuedKey } from '../helpers/gateway.js';

const SECRET = randomBytes(32).toString('base64url');
type Delivery = { verified: boolean | null; protocolVerified: boolean; digestOk: boolean; body: { alert: { rule: string; subject: string; message: string } } };
const deliveries: Delivery[] = [];
let failNext = 0;
let t: CredentialGateway;
let receiverDir: string;
let receiver: ReturnType<typeof createServer>;
let key: IssuedKey;
let consumer: string;

/**
 * A webhook receiver as an operator would write one: it checks the RFC 9421 signature with an independent
 * implementation (the http-message-signatures package, not the gateway's own), with the protocol
 * package's verifier as docs/operations.md shows, and the digest.
 */
async function startReceiver() {
  receiverDir = mkdtempSync(join(tmpdir(), 'portcullis-hook-'));
  const tls = await ensureDevCertificates({ dir: receiverDir, hostnames: ['127.0.0.1'] });
  receiver = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (failNext > 0) {
        failNext--;
        res.writeHead(503).end();
        return;
      }
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const url = `https://127.0.0.1:${(receiver.address() as AddressInfo).port}${req.url}`;
      const protocolCheck = verifyRequestSignature(
        { method: req.method ?? '', url, headers },
        (keyId) => (keyId === 'ops' ? { keyId, algorithm: 'hmac-sha256', key: createSecretKey(Buffer.from(SECRET, 'utf8')) } : undefined),
        { maxAgeSeconds: 300, requiredComponents: ['@method', '@target-uri', 'content-type', 'content-digest'] },
      );
      void httpbis
        .verifyMessage(
          {
            keyLookup: async (params) =>
              params.keyid === 'ops'
                ? { id: 'ops', algs: ['hmac-sha256'], verify: async (data: Buffer, signature: Buffer) => timingSafeEqual(createHmac('sha256', SECRET).update(data).digest(), signature) }
                : null,
            requiredFields: ['@method', '@target-uri', 'content-digest'],
            requiredParams: ['created', 'keyid', 'nonce'],
          },
          { method: req.method ?? '', url: `https://127.0.0.1:${(receiver.address() as AddressInfo).port}${req.url}`, headers },
        )
        .catch(() => false)
        .then(async (verified) => {
          deliveries.push({ verified, protocolVerified: (await protocolCheck).ok, digestOk: headers['content-digest'] === `sha-256=:${createHash('sha256').update(body).digest('base64')}:`, body: JSON.parse(body) as Delivery['body'] });
          res.writeHead(204).end();
        });
    });
  });
  await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
  return { url: `https://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/portcullis`, ca: tls.caCertPath };
}

beforeAll(async () => {
  const hook = await startReceiver();
  t = await startCredentialGateway(
    (url) => ({
      trustedProxies: ['127.0.0.1/32'],
      services: [companiesService(url)],
      alerts: {
        failureSpike: { failures: 5, window: '1m' },
        trafficShift: { factor: 3, minRequests: 10, window: '1m' },
        tokenFailures: { failures: 3, window: '1m' },
        webhooks: [{ url: hook.url, keyId: 'ops', secretEnv: 'TEST_WEBHOOK_SECRET', ca: hook.ca }],
      },
    }),
    { env: { TEST_WEBHOOK_SECRET: SECRET } },
  );
  consumer = await t.createConsumer();
  key = await t.createKey({ consumerId: consumer, scopes: ['companies:read'] });
});
afterAll(async () => {
  await t.stop();
  receiver.close();
  rmSync(receiverDir, { recursive: true, force: true });
});

async function alerts(query = ''): Promise<{ rule: string; subject: string; message: string; detail: Record<string, unknown> }[]> {
  await t.gateway.operations.alerts.settle();
  return ((await t.admin('GET', `/admin/v1/alerts${query}`)).json() as { alerts: { rule: string; subject: string; message: string; detail: Record<string, unknown> }[] }).alerts;
}

const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });
const bad = () => `${key.key.slice(0, -1)}${key.key.endsWith('A') ? 'B' : 'A'}`;

describe('anomaly alerts', () => {
  it('stay quiet on normal traffic', async () => {
    for (let i = 0; i < 12; i++) expect((await t.callWith(key.key, '/companies/1', from('192.0.2.10'))).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await t.callWith(bad(), '/companies/1', from('192.0.2.10'))).status).toBe(401);
    await new Promise((r) => setTimeout(r, 200)); // the network history is written off the request path
    expect(await alerts()).toEqual([]);
  });

  it('fire on a failure spike from one IP, to the log, the audit log and a signed webhook', async () => {
    for (let i = 0; i < 5; i++) await t.callWith(bad(), '/companies/1', from('203.0.113.7'));
    const [alert] = await alerts('?rule=failure-spike');
    expect(alert).toMatchObject({ subject: 'ip:203.0.113.7', message: expect.stringContaining('5 authentication failures') });
    expect(t.logs.text()).toContain('"msg":"alert: 5 authentication failures');
    const audit = (await t.admin('GET', '/admin/v1/audit?action=alert.*')).json() as { events: { action: string; target: string }[] };
    expect(audit.events).toEqual([expect.objectContaining({ action: 'alert.failure-spike', target: 'ip:203.0.113.7' })]);
    await vi.waitFor(() => expect(deliveries.find((d) => d.body.alert.rule === 'failure-spike')).toBeDefined(), { timeout: 10_000 });
    expect(deliveries.find((d) => d.body.alert.rule === 'failure-spike')).toMatchObject({ verified: true, protocolVerified: true, digestOk: true });
    // A second burst within the cooldown is not raised again.
    for (let i = 0; i < 5; i++) await t.callWith(bad(), '/companies/1', from('203.0.113.7'));
    expect(await alerts('?rule=failure-spike')).toHaveLength(1);
  });

  it('fire when a key is used from a network it has never used, not for a new address in a known one', async () => {
    await t.callWith(key.key, '/companies/1', from('198.51.100.7'));
    await vi.waitFor(async () => expect(await alerts('?rule=new-network')).toHaveLength(1), { timeout: 10_000 });
    const [alert] = await alerts('?rule=new-network');
    expect(alert).toMatchObject({ subject: `key:${key.id}`, detail: expect.objectContaining({ network: '198.51.100.0/24', consumerId: consumer }) });
    await t.callWith(key.key, '/companies/1', from('198.51.100.9'));
    await t.callWith(key.key, '/companies/1', from('192.0.2.99'));
    await new Promise((r) => setTimeout(r, 300));
    expect(await alerts('?rule=new-network')).toHaveLength(1);
  });

  it('fire on a sudden traffic shift for a consumer, and not on steady traffic', async () => {
    const steady = await t.createConsumer();
    const steadyKey = await t.createKey({ consumerId: steady, scopes: ['companies:read'] });
    const burst = await t.createConsumer();
    const burstKey = await t.createKey({ consumerId: burst, scopes: ['companies:read'] });
    t.clock.advance(60_000 - (t.clock.now % 60_000) + 1); // the start of a window
    for (let i = 0; i < 4; i++) {
      await t.callWith(steadyKey.key, '/companies/1', from('192.0.2.10'));
      await t.callWith(burstKey.key, '/companies/1', from('192.0.2.10'));
    }
    t.clock.advance(60_000);
    for (let i = 0; i < 4; i++) await t.callWith(steadyKey.key, '/companies/1', from('192.0.2.10'));
    for (let i = 0; i < 12; i++) await t.callWith(burstKey.key, '/companies/1', from('192.0.2.10'));
    const shifts = await alerts('?rule=traffic-shift');
    expect(shifts.map((a) => a.subject)).toEqual([`consumer:${burst}`]);
    expect(shifts[0]?.detail).toMatchObject({ current: 12, previous: 4 });
  });

  it('retries a webhook delivery with backoff until the receiver takes it', async () => {
    failNext = 1;
    for (let i = 0; i < 5; i++) await t.callWith(bad(), '/companies/1', from('203.0.113.51'));
    await vi.waitFor(() => expect(deliveries.find((d) => d.body.alert.subject === 'ip:203.0.113.51')).toMatchObject({ verified: true }), { timeout: 10_000 });
    expect(failNext).toBe(0);
  });

  it('fire for keys past their warning age', async () => {
    await t.gateway.operations.checkKeyAges();
    expect(await alerts('?rule=key-age')).toEqual([]);
    t.clock.advance(31 * DAY);
    await t.gateway.operations.checkKeyAges();
    const aged = await alerts('?rule=key-age');
    expect(aged.map((a) => a.subject)).toContain(`key:${key.id}`);
  });

  it('refuse to start with a webhook whose secret is not in the environment, naming the key and the fix', async () => {
    await expect(
      startCredentialGateway((url) => ({ services: [companiesService(url)], alerts: { webhooks: [{ url: 'https://hooks.example.com/x', keyId: 'ops', secretEnv: 'MISSING_SECRET' }] } })),
    ).rejects.toThrow(/alerts\.webhooks\[0\]\.secretEnv: set MISSING_SECRET/);
  });
});
