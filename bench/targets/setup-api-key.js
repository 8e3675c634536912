// Row (h): a consumer and an API key with the scope the route requires, created through the same
// credential operations the admin API runs. The load generator sends the key on every request.
import { benchConsumer } from '../lib/bench-consumer.js';
import { createApiKey } from '../../packages/gateway/dist/credentials/issue-key.js';

export async function setup({ gateway }) {
  const consumer = await benchConsumer(gateway.credentials);
  const { value } = await createApiKey(gateway.credentials, 'bench', consumer.id, {
    scopes: ['companies:read'],
    allowedIps: ['127.0.0.1/32'],
    allowedOrigins: [],
  });
  return { authorization: `Bearer ${value}` };
}
