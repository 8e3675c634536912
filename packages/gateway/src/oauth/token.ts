import type { IncomingMessage, ServerResponse } from 'node:http';
import { issueRefreshToken, redeemCode, useRefreshToken } from '../credentials/authorization-code.js';
import type { TokenFamily } from '../credentials/authorization-code.js';
import { issueAccessToken } from '../credentials/issue-token.js';
import type { StoredOAuthClient } from '../credentials/client-model.js';
import { SCOPE_TOKEN } from '../config/syntax.js';
import { oauthError, sendOAuthError, sendOAuthJson } from '../http/oauth-errors.js';
import type { OAuthError } from '../http/oauth-errors.js';
import { presentedClientId, requireClient } from './client-auth.js';
import type { OAuthContext } from './context.js';
import { readForm } from './form.js';
import type { FormParams } from './form.js';
import { TOKEN_PATH } from './metadata.js';

/** RFC 6749 §3.3: the requested scopes, each one the client holds; none requested means all of them. */
export function grantedScopes(client: Pick<StoredOAuthClient, 'scopes'>, requested: string | undefined): readonly string[] | OAuthError {
  if (requested === undefined) return client.scopes;
  const scopes = [...new Set(requested.split(' ').filter(Boolean))];
  if (scopes.length === 0 || scopes.some((s) => !SCOPE_TOKEN.test(s))) return oauthError('invalid_scope', 'scope is a space-separated list of scope tokens.');
  const held = new Set(client.scopes);
  const extra = scopes.filter((s) => !held.has(s));
  if (extra.length > 0) return oauthError('invalid_scope', `The client may not request: ${extra.join(' ')}.`);
  return scopes.sort();
}

/** RFC 8707: a client may name the resource; it must be the one our tokens are for. */
function checkResource(ctx: OAuthContext, params: FormParams): OAuthError | undefined {
  const resource = params.get('resource');
  if (resource !== undefined && resource !== ctx.audience()) return oauthError('invalid_target', `The only resource served here is ${ctx.audience()}.`);
  return undefined;
}

/**
 * RFC 9449 §5: a DPoP proof binds the tokens to the client's key (cnf.jkt). A client registered with
 * requireDpop gets no token without one.
 */
async function dpopBinding(ctx: OAuthContext, req: IncomingMessage, client: StoredOAuthClient): Promise<string | undefined | OAuthError> {
  const proof = req.headers.dpop;
  if (proof === undefined) return client.dpopBound ? oauthError('invalid_dpop_proof', 'This client must send a DPoP proof (RFC 9449).') : undefined;
  const result = typeof proof === 'string' ? await ctx.dpop.verify(proof, { method: 'POST', url: `${ctx.issuer()}${TOKEN_PATH}` }) : undefined;
  return result?.ok ? result.jkt : oauthError('invalid_dpop_proof', 'The DPoP proof is not valid for this request.');
}

const tokenType = (jkt: string | undefined) => (jkt ? 'DPoP' : 'Bearer');

async function clientCredentials(ctx: OAuthContext, client: StoredOAuthClient, params: FormParams, jkt: string | undefined) {
  const scopes = grantedScopes(client, params.get('scope'));
  if ('error' in scopes) return scopes;
  const target = checkResource(ctx, params);
  if (target) return target;
  const issued = await issueAccessToken(ctx.keys, {
    issuer: ctx.issuer(),
    audience: ctx.audience(),
    lifetimeMs: ctx.accessTokenLifetimeMs,
    clientId: client.id,
    subject: client.id, // RFC 9068 §2.2: no resource owner, the client is the subject
    scopes,
    now: ctx.clock(),
    ...(jkt ? { jkt } : {}),
  });
  return { access_token: issued.accessToken, token_type: tokenType(jkt), expires_in: issued.expiresIn, scope: scopes.join(' ') };
}

/** An access token for an authorization (a token family) and its next refresh token, recorded together. */
async function familyTokens(ctx: OAuthContext, family: TokenFamily, scopes: readonly string[], jkt: string | undefined) {
  const issued = await issueAccessToken(ctx.keys, {
    issuer: ctx.issuer(),
    audience: ctx.audience(),
    lifetimeMs: ctx.accessTokenLifetimeMs,
    clientId: family.clientId,
    subject: family.subject,
    scopes,
    now: ctx.clock(),
    ...(jkt ? { jkt } : {}),
  });
  const refreshToken = await issueRefreshToken(ctx, family.id, issued);
  return { access_token: issued.accessToken, token_type: tokenType(jkt), expires_in: issued.expiresIn, scope: scopes.join(' '), refresh_token: refreshToken };
}

const BAD_GRANT = oauthError('invalid_grant', 'The code or refresh token is invalid, expired, already used or revoked.');

/** RFC 6749 §4.1.3 with RFC 7636 §4.5: the code, the same redirect_uri, and the PKCE verifier. */
async function authorizationCode(ctx: OAuthContext, client: StoredOAuthClient, params: FormParams, jkt: string | undefined) {
  const code = params.get('code');
  if (code === undefined) return oauthError('invalid_request', 'code is required.');
  const family = await redeemCode(ctx, { code, clientId: client.id, redirectUri: params.get('redirect_uri'), codeVerifier: params.get('code_verifier') });
  if (!family) return BAD_GRANT;
  return familyTokens(ctx, family, family.scopes, jkt);
}

/** RFC 6749 §6: each refresh token works once and is replaced (RFC 9700 §4.14.2); scopes may narrow. */
async function refreshToken(ctx: OAuthContext, client: StoredOAuthClient, params: FormParams, jkt: string | undefined) {
  const token = params.get('refresh_token');
  if (token === undefined) return oauthError('invalid_request', 'refresh_token is required.');
  const family = await useRefreshToken(ctx, token, client.id);
  if (!family) return BAD_GRANT;
  const scopes = grantedScopes({ scopes: family.scopes }, params.get('scope'));
  if ('error' in scopes) return scopes;
  return familyTokens(ctx, family, scopes, jkt);
}

/** POST /oauth/token (RFC 6749 §3.2, §4.1.3, §4.4, §6). */
export async function handleToken(ctx: OAuthContext, req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
  const params = await readForm(req);
  /** Every refusal is a `token_issue_failed` event: counted, summarised in the audit log, watched by the anomaly rules. */
  const refuse = (error: OAuthError, clientId: string | null) => {
    ctx.events.emit({ kind: 'token_issue_failed', clientId, clientIp: ctx.clientIp(req), reason: error.error });
    sendOAuthError(res, requestId, error);
  };
  if ('error' in params) return refuse(params, null);
  const grantType = params.get('grant_type');
  if (grantType === undefined) return refuse(oauthError('invalid_request', 'grant_type is required.'), presentedClientId(req, params));
  const client = await requireClient(ctx, req, params, requestId);
  if ('error' in client) return refuse(client, presentedClientId(req, params));
  const jkt = await dpopBinding(ctx, req, client);
  if (typeof jkt === 'object') return refuse(jkt, client.id);
  let answer;
  if (grantType === 'client_credentials') answer = await clientCredentials(ctx, client, params, jkt);
  else if (grantType === 'authorization_code' && ctx.loginUrl) answer = await authorizationCode(ctx, client, params, jkt);
  else if (grantType === 'refresh_token' && ctx.loginUrl) answer = await refreshToken(ctx, client, params, jkt);
  else answer = oauthError('unsupported_grant_type', `Supported: client_credentials${ctx.loginUrl ? ', authorization_code, refresh_token' : ''}.`);
  if ('error' in answer) return refuse(answer, client.id);
  ctx.events.emit({ kind: 'token_issued', clientId: client.id, consumerId: client.consumerId, grant: grantType });
  sendOAuthJson(res, requestId, 200, answer);
}
