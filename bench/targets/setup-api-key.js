// Row (h): a consumer and an API key with the scope the route requires, created through the same
// credential operations the admin API runs. The load generator sends the key on every request.
import { createConsumer, listConsumers } from '../../packages/gateway/dist/credentials/consumers.js';
import { createApiKey } from '../../packages/gateway/dist/credentials/issue-key.js';

export async function setup({ gateway }) {
  // Rounds of one row share a data directory: reuse the consumer, issue a fresh key.
  const existing = (await listConsumers(gateway.credentials)).find((c) => c.name === 'bench');
  const consumer = existing ?? (await createConsumer(gateway.credentials, 'bench', 'bench'));
  const { value } = await createApiKey(gateway.credentials, 'bench', consumer.id, {
    scopes: ['companies:read'],
    allowedIps: ['127.0.0.1/32'],
    allowedOrigins: [],
  });
  return { authorization: `Bearer ${value}` };
}
