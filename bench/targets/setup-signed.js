// Row (s): row (h)'s API key plus an hmac-sha256 signing secret for the same consumer. The load
// generator signs every request with it (bench/run.js), as the SDK does.
import { createSigningSecret } from '../../packages/gateway/dist/credentials/request-signing-keys.js';
import { setup as setupApiKey } from './setup-api-key.js';

export async function setup({ gateway }) {
  const headers = await setupApiKey({ gateway });
  const consumer = (await gateway.db.query("SELECT id FROM consumers WHERE name = 'bench'"))[0];
  const { record, secret } = await createSigningSecret(gateway.credentials, gateway.keyring, 'bench', consumer.id);
  return { headers, signing: { keyId: record.id, secret } };
}
