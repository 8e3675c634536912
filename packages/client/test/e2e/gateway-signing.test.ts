import { createSecretKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, createClient } from '../../src/index.js';
import type { ClientOptions , HttpError, TransportError} from '../../src/index.js';
import { startCredentialGateway } from '../../../gateway/test/helpers/gateway.js';
import type { CredentialGateway } from '../../../gateway/test/helpers/gateway.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { gatewayHasSignaturesAndRateLimits } from '../helpers/gateway-features.js';

/** A signed POST (RFC 9421 via @portcullis/protocol) to a `signature: required` route, and the gateway's own 429. */
let gw: CredentialGateway;
let consumerId: string;
let key: string;
let signing: { keyId: string; secret: string };

beforeAll(async () => {
  if (!gatewayHasSignaturesAndRateLimits) return;
  gw = await startCredentialGateway((url) => ({
    services: [
      {
        name: 'companies',
        upstream: url,
        routes: [
          { match: 'GET /companies/*', scopes: ['companies:read'] },
          { match: 'POST /companies', scopes: ['companies:write'], signature: 'required' },
        ],
      },
      { name: 'limited', upstream: url, rateLimit: { requests: 2, per: '1m' }, routes: [{ match: 'GET /limited/*', scopes: ['companies:read'] }] },
    ],
  }));
  consumerId = await gw.createConsumer();
  key = (await gw.createKey({ consumerId, scopes: ['companies:read', 'companies:write'] })).key;
  signing = (await gw.admin('POST', `/admin/v1/consumers/${consumerId}/signing-secrets`)).json() as { keyId: string; secret: string };
}, 120_000);
afterAll(() => gw?.stop());

function client(clock: FakeClock, options: Partial<ClientOptions> = {}) {
  return createClient({ baseUrl: gw.gateway.url, allowedHosts: ['127.0.0.1'], allowAddresses: ['127.0.0.1'], ca: gw.ca, clock, auth: auth.apiKey({ key }), ...options });
}

describe.skipIf(!gatewayHasSignaturesAndRateLimits)('against the gateway: signatures and rate limits', () => {
  it('a signed POST passes; the same call unsigned is refused', async () => {
    gw.clock.now = Date.now(); // the gateway checks `created` against its (fake) clock
    const clock = new FakeClock(gw.clock.now);
    const hmac = { keyId: signing.keyId, algorithm: 'hmac-sha256' as const, key: createSecretKey(Buffer.from(signing.secret, 'base64url')) };
    const signed = client(clock, { signing: { key: hmac } });
    expect((await signed.post('/companies', { body: { name: 'ACME' } })).status).toBe(200);
    expect(gw.upstream.seen.at(-1)?.body).toBe('{"name":"ACME"}');
    const unsigned = client(clock);
    await expect(unsigned.post('/companies', { body: { name: 'ACME' }, retry: false })).rejects.toMatchObject({ status: 401 });
    await Promise.all([signed.close(), unsigned.close()]);
  });

  it("honours the gateway's RateLimit and 429 Retry-After: the host waits, or the call fails fast with retryAt", async () => {
    const clock = new FakeClock();
    const api = client(clock);
    // Two calls spend the quota; the second answer's RateLimit (r=0) pauses the host.
    for (let i = 0; i < 2; i++) expect((await api.get('/limited/{id}', { params: { id: String(i) } })).status).toBe(200);
    expect(api.counters.rate_limited).toBe(1);
    const before = gw.upstream.seen.length;
    const paused = (await api.get('/limited/x').catch((e: unknown) => e)) as TransportError;
    expect(paused).toMatchObject({ name: 'TransportError', code: 'deadline_exceeded' });
    expect(paused.retryAt).toBeGreaterThan(clock.now() + 30_000);
    expect(gw.upstream.seen.length).toBe(before); // not sent

    // A client without that knowledge meets the gateway's 429 and its Retry-After.
    const fresh = client(new FakeClock(), { retry: false });
    const refused = (await fresh.get('/limited/y').catch((e: unknown) => e)) as HttpError;
    expect(refused).toMatchObject({ status: 429 });
    expect(refused.problem?.type).toBe('urn:portcullis:problem:rate-limited');
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    const clock2 = new FakeClock();
    const patient = client(clock2, { timeout: 120_000, retry: { retries: 1 } });
    const started = clock2.now();
    await expect(patient.get('/limited/z')).rejects.toMatchObject({ status: 429 });
    expect(clock2.sleeps).toEqual([retryAfter * 1000]); // waited exactly as asked, then tried once more
    expect(clock2.now() - started).toBe(retryAfter * 1000);
    await Promise.all([api.close(), fresh.close(), patient.close()]);
  });
});
