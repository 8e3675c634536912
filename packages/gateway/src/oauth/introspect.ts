import type { IncomingMessage, ServerResponse } from 'node:http';
import { oauthError, sendOAuthError, sendOAuthJson } from '../http/oauth-errors.js';
import { readTokenRequest } from './client-auth.js';
import type { OAuthContext } from './context.js';

/**
 * POST /oauth/introspect (RFC 7662), for authenticated clients. A token that is not active, for
 * whatever reason, is answered exactly `{"active": false}` (RFC 7662 §2.2): nothing about why.
 */
export async function handleIntrospect(ctx: OAuthContext, req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
  const request = await readTokenRequest(ctx, req, requestId);
  if ('error' in request) return sendOAuthError(res, requestId, request);
  const result = await ctx.tokens.verify(request.token);
  if (!result.ok) {
    if (result.reason === 'unavailable') return sendOAuthError(res, requestId, oauthError('temporarily_unavailable'));
    return sendOAuthJson(res, requestId, 200, { active: false });
  }
  const { claims } = result.token;
  sendOAuthJson(res, requestId, 200, {
    active: true,
    scope: claims.scope,
    client_id: claims.client_id,
    sub: claims.sub,
    aud: claims.aud,
    iss: claims.iss,
    exp: claims.exp,
    iat: claims.iat,
    jti: claims.jti,
    token_type: 'Bearer',
  });
}
