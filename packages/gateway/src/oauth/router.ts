import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { oauthError, sendOAuthError, sendOAuthJson } from '../http/oauth-errors.js';
import type { OAuthContext } from './context.js';
import { handleIntrospect } from './introspect.js';
import { handleJwks } from './jwks.js';
import { handleAuthorize } from './authorize.js';
import { AUTHORIZE_PATH, INTROSPECT_PATH, JWKS_PATH, METADATA_PATH, REVOKE_PATH, TOKEN_PATH, authorizationServerMetadata } from './metadata.js';
import { handleRevoke } from './revoke.js';
import { handleToken } from './token.js';

type Endpoint = { method: 'GET' | 'POST'; handle: (ctx: OAuthContext, req: IncomingMessage, res: ServerResponse, requestId: string) => void | Promise<void> };

const ENDPOINTS: ReadonlyMap<string, Endpoint> = new Map<string, Endpoint>([
  [TOKEN_PATH, { method: 'POST', handle: handleToken }],
  [AUTHORIZE_PATH, { method: 'GET', handle: handleAuthorize }],
  [REVOKE_PATH, { method: 'POST', handle: handleRevoke }],
  [INTROSPECT_PATH, { method: 'POST', handle: handleIntrospect }],
  [JWKS_PATH, { method: 'GET', handle: (ctx, _req, res, id) => handleJwks(ctx, res, id) }],
  [METADATA_PATH, { method: 'GET', handle: (ctx, _req, res, id) => sendOAuthJson(res, id, 200, authorizationServerMetadata(ctx.issuer(), ctx.loginUrl !== undefined)) }],
]);

/**
 * The authorization server on the data-plane host (CONTRACT §4). Returns a handler for its paths, or
 * undefined for any other path (then the proxy answers).
 */
export function createOAuthHandler(ctx: OAuthContext) {
  return function oauthHandlerFor(url: string | undefined): ((req: IncomingMessage, res: ServerResponse) => void) | undefined {
    if (url === undefined) return undefined;
    // Asked on every data-plane request: the path is cut from the query without an array.
    const query = url.indexOf('?');
    const endpoint = ENDPOINTS.get(query === -1 ? url : url.slice(0, query));
    if (!endpoint) return undefined;
    return (req, res) => {
      const requestId = randomUUID();
      if (req.method !== endpoint.method) {
        req.resume();
        return sendOAuthError(res, requestId, oauthError('invalid_request', `Use ${endpoint.method}.`, { status: 405, headers: { allow: endpoint.method } }));
      }
      Promise.resolve(endpoint.handle(ctx, req, res, requestId)).catch((error: unknown) => {
        ctx.logger.error({ requestId, err: { message: (error as Error).message, code: (error as { code?: string }).code } }, 'oauth request failed');
        if (!res.headersSent) sendOAuthError(res, requestId, oauthError('server_error'));
        else res.destroy();
      });
    };
  };
}
