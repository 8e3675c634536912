import { configSchema } from '../../../gateway/src/config/schema.js';

/**
 * What the gateway in this checkout can do, read from its own configuration schema: its OAuth server
 * and its signature and rate-limit enforcement arrive in their own issues. The end-to-end tests that
 * need them run once they are there, and say why they are skipped until then.
 */
const upstream = 'http://127.0.0.1:9';

export const gatewayHasOAuth = configSchema.safeParse({ oauth: { accessTokenLifetime: '60s' } }).success;

export const gatewayHasSignaturesAndRateLimits = configSchema.safeParse({
  services: [{ name: 's', upstream, rateLimit: { requests: 2, per: '1m' }, routes: [{ match: 'POST /x', signature: 'required' }] }],
}).success;

if (!gatewayHasOAuth) console.warn('Client credentials against the gateway skipped: this gateway has no OAuth server (/oauth/token) yet.');
if (!gatewayHasSignaturesAndRateLimits) console.warn('Signed POST and gateway 429 tests skipped: this gateway does not enforce signatures and rate limits yet.');
