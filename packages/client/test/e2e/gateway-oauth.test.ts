import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, createClient } from '../../src/index.js';
import { companiesService, startCredentialGateway } from '../../../gateway/test/helpers/gateway.js';
import type { CredentialGateway } from '../../../gateway/test/helpers/gateway.js';
import { gatewayHasOAuth } from '../helpers/gateway-features.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { captureLogs } from '../helpers/log-capture.js';

/** Client credentials against the Portcullis gateway's own authorization server (/oauth/token). */
let gw: CredentialGateway;
let client: { client_id: string; client_secret?: string };

beforeAll(async () => {
  if (!gatewayHasOAuth) return;
  // 60 s tokens, so that the client refreshes during the test (`oauth` is not in this checkout's types until the OAuth server lands).
  const oauth = { oauth: { accessTokenLifetime: '60s' } };
  gw = await startCredentialGateway((url) => ({ services: [companiesService(url)], ...oauth }), { freezeIntervals: true });
  const consumerId = await gw.createConsumer();
  const created = await gw.admin('POST', '/admin/v1/clients', { consumerId, scopes: ['companies:read'] });
  expect(created.status, created.text).toBe(201);
  client = created.json() as typeof client;
}, 120_000);
afterAll(() => gw?.stop());

describe.skipIf(!gatewayHasOAuth)('client credentials against the gateway', () => {
  it('gets a token from /oauth/token, calls the API with it, and refreshes it during the test (60 s tokens)', async () => {
    const clock = new FakeClock();
    const logs = captureLogs();
    const api = createClient({
      baseUrl: gw.gateway.url,
      allowedHosts: ['127.0.0.1'],
      allowAddresses: ['127.0.0.1'],
      ca: gw.ca,
      clock,
      logger: logs.logger,
      auth: auth.clientCredentials({ issuer: gw.gateway.url, clientId: client.client_id, clientSecret: client.client_secret!, scope: 'companies:read' }),
    });
    expect((await api.get('/companies/{id}', { params: { id: '1' } })).status).toBe(200);
    expect(gw.upstream.seen.at(-1)?.headers['x-portcullis-credential-kind']).toBe('oauth');
    clock.advance(55_000);
    gw.clock.advance(55_000);
    expect((await api.get('/companies/{id}', { params: { id: '1' } })).status).toBe(200);
    expect(api.counters.token_refreshed).toBe(2);
    expect(logs.text()).not.toContain(client.client_secret!);
    await api.close();
  });
});
