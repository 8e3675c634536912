// Row (j): a consumer, an OAuth client and an RFC 9068 access token for it, made with the same
// operations the admin API and the token endpoint run. The load generator sends the token on every
// request, so the row measures the data plane's JWT path (verified-token cache hit, client lookup in
// memory, scopes, allow-list, identity headers), next to row (h) for an API key.
import { createClient } from '../../packages/gateway/dist/credentials/clients.js';
import { benchConsumer } from '../lib/bench-consumer.js';
import { issueAccessToken } from '../../packages/gateway/dist/credentials/issue-token.js';

export async function setup({ gateway }) {
  const consumer = await benchConsumer(gateway.credentials);
  const { client } = await createClient(gateway.credentials, 'bench', consumer.id, {
    scopes: ['companies:read'],
    allowedIps: ['127.0.0.1/32'],
    allowedOrigins: [],
  });
  const { accessToken } = await issueAccessToken(gateway.oauth.keys, {
    issuer: gateway.oauth.issuer,
    audience: gateway.oauth.issuer,
    lifetimeMs: 3_600_000,
    clientId: client.id,
    subject: client.id,
    scopes: ['companies:read'],
    now: Date.now(),
  });
  return { authorization: `Bearer ${accessToken}` };
}
