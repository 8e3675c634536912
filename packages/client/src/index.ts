/**
 * @portcullis/client: call any API the secure way. https only with validated certificates, egress
 * limited to allowed hosts, credentials from the environment or a secret manager, tokens refreshed
 * before they expire, backoff that honours the server, an encrypted cache, redacted logs.
 */
import { apiKey } from './auth/api-key.js';
import { clientCredentials } from './auth/client-credentials.js';
import { jwtLogin } from './auth/jwt-login.js';
import { refreshToken } from './auth/refresh-token.js';

/** The auth strategies, as in `auth: auth.apiKey({ key: fromEnv('API_KEY') })`. */
export const auth = { apiKey, clientCredentials, refreshToken, jwtLogin } as const;

export { createClient } from './client.js';
export type { CallOptions, Client, ClientOptions, FallbackContext } from './client.js';
export type { ClientResponse } from './request/response.js';
export { fromEnv, fromFile } from './credentials/secret-source.js';
export type { SecretInput, SecretSource } from './credentials/secret-source.js';
export type { ApiKeyOptions } from './auth/api-key.js';
export type { ClientCredentialsOptions } from './auth/client-credentials.js';
export type { RefreshTokenOptions } from './auth/refresh-token.js';
export type { JwtLoginOptions } from './auth/jwt-login.js';
export type { OAuthClientOptions } from './auth/oauth-server.js';
export type { AuthFactory } from './auth/strategy.js';
export { inProcessLock } from './auth/lock.js';
export type { Lock } from './auth/lock.js';
export { redisLock } from './auth/redis-lock.js';
export type { RedisLockClient, RedisLockOptions } from './auth/redis-lock.js';
export { memoryStore, diskStore } from './cache/cache-store.js';
export type { CacheStore } from './cache/cache-store.js';
export type { CacheOptions } from './cache/response-cache.js';
export type { RetryOptions } from './resilience/backoff.js';
export type { CircuitOptions } from './resilience/circuit-breaker.js';
export type { SigningOptions } from './request/sign.js';
export type { SigningKey, SignatureAlgorithm } from '@portcullis/protocol';
export type { ParamValue, QueryValue } from './request/path-template.js';
export { CLIENT_EVENT_NAMES } from './observe/events.js';
export type { ClientEventListeners, ClientEventName, ClientEvents } from './observe/events.js';
export type { Logger } from './observe/logger.js';
export { REDACTED } from './observe/redact.js';
export type { Clock } from './clock.js';
export { AuthError, CLIENT_ERROR_CODES, ClientError, HttpError, PolicyError, TransportError, ValidationError } from './errors.js';
export type { ClientErrorCode } from './errors.js';
// Recognising a Portcullis credential (e.g. to refuse one pasted into a config file).
export { findCredentials, parseCredential, CREDENTIAL_PATTERN } from '@portcullis/protocol';
export type { FoundCredential } from '@portcullis/protocol';
