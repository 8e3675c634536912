// OAuth 2.0 client credentials, retries, a circuit breaker with a fallback, and the encrypted cache.
//   API_URL=https://api.example.com TOKEN_URL=https://auth.example.com/oauth/token \
//   CLIENT_ID=billing CLIENT_SECRET=... CACHE_KEY="$(openssl rand -base64 32)" \
//   node packages/client/examples/client-credentials.mjs
import { auth, createClient, diskStore, fromEnv } from '@portcullis/client';

const baseUrl = process.env.API_URL ?? 'https://api.example.com';
const api = createClient({
  baseUrl,
  allowedHosts: [new URL(baseUrl).hostname], // the token endpoint's host is added by the strategy
  auth: auth.clientCredentials({
    tokenUrl: process.env.TOKEN_URL ?? 'https://auth.example.com/oauth/token',
    clientId: process.env.CLIENT_ID ?? 'billing',
    clientSecret: fromEnv('CLIENT_SECRET'),
    scope: ['invoices:read'],
  }),
  retry: { retries: 3 },
  timeout: 10_000,
  circuitBreaker: { failureThreshold: 5, openMs: 30_000 },
  cache: { key: fromEnv('CACHE_KEY'), store: diskStore('.cache/invoices'), staleIfError: 3600 },
  // While the API is down, serve the last answer we have.
  fallback: ({ cached }) => cached?.data,
});

api.on('token_refreshed', (e) => console.error(`token valid until ${new Date(e.expiresAt).toISOString()}`));
api.on('circuit_open', (e) => console.error(`${e.host} is failing; trying again at ${new Date(e.retryAt).toISOString()}`));

const { data, fromCache, fallback } = await api.get('/invoices', { query: { status: 'open' }, cache: true });
console.log({ fromCache, fallback, data });
await api.close();
