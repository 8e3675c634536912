import type { IncomingMessage, ServerResponse } from 'node:http';
import { oauthError, sendOAuthError, sendOAuthJson } from '../http/oauth-errors.js';
import { familyOfRefreshToken, revokeFamily } from '../credentials/authorization-code.js';
import { looksLikeJwt } from '../credentials/verify-token.js';
import { readTokenRequest } from './client-auth.js';
import type { OAuthContext } from './context.js';

/**
 * POST /oauth/revoke (RFC 7009). A client revokes its own tokens; an invalid, expired or unknown token
 * is answered 200 like a revoked one (§2.2), so the endpoint tells nobody which tokens exist.
 */
export async function handleRevoke(ctx: OAuthContext, req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
  const request = await readTokenRequest(ctx, req, requestId);
  if ('error' in request) return sendOAuthError(res, requestId, request);
  const { client, token } = request;
  if (!looksLikeJwt(token)) {
    // A refresh token: revoking it ends the whole authorization it belongs to (RFC 7009 §2.1).
    const family = await familyOfRefreshToken(ctx, token);
    if (family && family.clientId !== client.id) return sendOAuthError(res, requestId, oauthError('unauthorized_client', 'The token was not issued to this client.'));
    if (family) await revokeFamily(ctx, family.id, client.id);
    return sendOAuthJson(res, requestId, 200, {});
  }
  const result = await ctx.tokens.verify(token);
  if (result.ok) {
    // §2.1: the token must have been issued to the client asking.
    if (result.token.clientId !== client.id) return sendOAuthError(res, requestId, oauthError('unauthorized_client', 'The token was not issued to this client.'));
    await ctx.denyList.revoke(client.id, result.token.jti, client.id, result.token.expiresAt);
    ctx.logger.info({ requestId, clientId: client.id, jti: result.token.jti }, 'access token revoked');
  } else if (result.reason === 'unavailable') {
    return sendOAuthError(res, requestId, oauthError('temporarily_unavailable'));
  }
  sendOAuthJson(res, requestId, 200, {});
}
