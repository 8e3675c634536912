import type { IncomingMessage } from 'node:http';
import { authenticateClient } from '../credentials/authenticate-client.js';
import type { ClientCredentials } from '../credentials/authenticate-client.js';
import type { StoredOAuthClient } from '../credentials/client-model.js';
import { oauthError } from '../http/oauth-errors.js';
import type { OAuthError } from '../http/oauth-errors.js';
import { readForm } from './form.js';
import type { FormParams } from './form.js';
import type { OAuthContext } from './context.js';

const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** RFC 6749 §2.3.1: the Basic credentials are form-urlencoded before base64. */
function fromBasic(header: string): { clientId: string; secret: string } | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    const unform = (text: string) => decodeURIComponent(text.replaceAll('+', ' '));
    return { clientId: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

/** Which credentials the request carries: exactly one method, or a refusal (RFC 6749 §2.3). */
function presented(req: IncomingMessage, params: FormParams): ClientCredentials | OAuthError {
  const authorization = req.headers.authorization;
  const basic = authorization === undefined ? undefined : fromBasic(authorization);
  if (authorization !== undefined && !basic) return oauthError('invalid_client', 'Use HTTP Basic client authentication or send the credentials in the body.', { headers: { 'www-authenticate': 'Basic realm="oauth"' } });
  const assertion = params.get('client_assertion');
  const secret = params.get('client_secret');
  const methods = [basic, secret, assertion].filter((m) => m !== undefined).length;
  if (methods > 1) return oauthError('invalid_request', 'Use exactly one client authentication method.');
  if (basic) return { method: 'client_secret_basic', ...basic };
  const clientId = params.get('client_id');
  if (secret !== undefined) {
    if (clientId === undefined) return oauthError('invalid_request', 'client_secret needs client_id.');
    return { method: 'client_secret_post', clientId, secret };
  }
  if (assertion !== undefined) {
    if (params.get('client_assertion_type') !== JWT_BEARER_ASSERTION) return oauthError('invalid_request', `client_assertion_type must be ${JWT_BEARER_ASSERTION}.`);
    return { method: 'private_key_jwt', clientId, assertion };
  }
  return oauthError('invalid_client', 'Client authentication is required.');
}

/** The client id a request names, before it is authenticated (for reporting a refused token request). */
export function presentedClientId(req: IncomingMessage, params: FormParams): string | null {
  const credentials = presented(req, params);
  return ('error' in credentials ? params.get('client_id') : credentials.clientId) ?? null;
}

/**
 * Authenticates the calling client, throttling failures per client id and per address. Every failure
 * is the same invalid_client (RFC 6749 §5.2); the reason goes to the debug log only.
 */
export async function requireClient(ctx: OAuthContext, req: IncomingMessage, params: FormParams, requestId: string): Promise<StoredOAuthClient | OAuthError> {
  const credentials = presented(req, params);
  if ('error' in credentials) return credentials;
  const address = ctx.clientIp(req);
  const wait = await ctx.throttle.blockedFor(credentials.clientId, address);
  if (wait > 0) {
    ctx.events.emit({ kind: 'auth_failed', reason: 'client-throttled', clientIp: address });
    return oauthError('invalid_client', 'Too many failed client authentications; retry later.', { status: 429, headers: { 'retry-after': String(wait) } });
  }
  const result = await authenticateClient({ db: ctx.db, clock: ctx.clock }, credentials, [ctx.issuer(), `${ctx.issuer()}/oauth/token`]);
  if (result.ok) return result.client;
  await ctx.throttle.failed(result.clientId, address);
  ctx.events.emit({ kind: 'auth_failed', reason: `client-${result.reason}`, clientIp: address });
  ctx.logger.debug({ requestId, reason: result.reason, method: credentials.method }, 'client authentication refused');
  return oauthError('invalid_client', 'Client authentication failed.', credentials.method === 'client_secret_basic' ? { headers: { 'www-authenticate': 'Basic realm="oauth"' } } : {});
}

/** Revocation and introspection requests: an authenticated client and the `token` it names (RFC 7009 §2.1, RFC 7662 §2.1). */
export async function readTokenRequest(ctx: OAuthContext, req: IncomingMessage, requestId: string): Promise<{ client: StoredOAuthClient; token: string } | OAuthError> {
  const params = await readForm(req);
  if ('error' in params) return params;
  const client = await requireClient(ctx, req, params, requestId);
  if ('error' in client) return client;
  const token = params.get('token');
  if (token === undefined) return oauthError('invalid_request', 'token is required.');
  return { client, token };
}
