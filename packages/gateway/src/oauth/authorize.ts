import type { IncomingMessage, ServerResponse } from 'node:http';
import { startAuthorization } from '../credentials/authorization-code.js';
import { findClientForAuthentication } from '../credentials/client-repository.js';
import { baseHeaders } from '../http/headers.js';
import { oauthError, sendOAuthError } from '../http/oauth-errors.js';
import type { OAuthError } from '../http/oauth-errors.js';
import type { OAuthContext } from './context.js';
import { grantedScopes } from './token.js';

/** Sends the user agent back to the client with an error (RFC 6749 §4.1.2.1) and our issuer (RFC 9207). */
export function redirectBack(res: ServerResponse, requestId: string, redirectUri: string, params: Record<string, string | undefined>): void {
  const target = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) target.searchParams.set(name, value);
  res.writeHead(302, [...baseHeaders(requestId), 'location', target.toString(), 'cache-control', 'no-store']);
  res.end();
}

/**
 * GET /oauth/authorize (RFC 6749 §4.1.1) with PKCE S256 required. Until the client and its exact
 * redirect URI are known good, errors are shown here, never redirected (§4.1.2.1: no open redirector).
 * Then the user goes to the configured login page, which approves through the admin API.
 */
export async function handleAuthorize(ctx: OAuthContext, req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
  if (!ctx.loginUrl) return sendOAuthError(res, requestId, oauthError('unsupported_response_type', 'authorization_code is not enabled: set oauth.loginUrl.'));
  const query = new URL(req.url ?? '/', 'https://x.invalid').searchParams;
  const get = (name: string) => (query.getAll(name).length > 1 ? null : (query.get(name) ?? undefined));
  const clientId = get('client_id');
  const redirectUri = get('redirect_uri');
  const client = typeof clientId === 'string' ? await findClientForAuthentication(ctx.db, clientId) : undefined;
  if (!client || client.revokedAt || client.consumerDisabled || typeof redirectUri !== 'string' || !client.redirectUris.includes(redirectUri)) {
    return sendOAuthError(res, requestId, oauthError('invalid_request', 'Unknown client_id, or a redirect_uri that is not registered for it.'));
  }
  const state = get('state') ?? undefined;
  const fail = (e: OAuthError) => redirectBack(res, requestId, redirectUri, { error: e.error, error_description: e.description, state, iss: ctx.issuer() });
  for (const name of ['response_type', 'scope', 'state', 'code_challenge', 'code_challenge_method']) {
    if (get(name) === null) return fail(oauthError('invalid_request', `The parameter "${name}" is repeated.`));
  }
  if (get('response_type') !== 'code') return fail(oauthError('unsupported_response_type', 'Only response_type=code is supported.'));
  const challenge = get('code_challenge');
  // RFC 9700 §2.1.1: PKCE always, and S256 only ("plain" would hand the verifier to whoever sees the request).
  if (get('code_challenge_method') !== 'S256' || typeof challenge !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
    return fail(oauthError('invalid_request', 'PKCE is required: code_challenge with code_challenge_method=S256.'));
  }
  const scopes = grantedScopes(client, get('scope') ?? undefined);
  if ('error' in scopes) return fail(scopes);
  const id = await startAuthorization(ctx, { clientId: client.id, redirectUri, scopes, state, codeChallenge: challenge });
  const login = new URL(ctx.loginUrl);
  login.searchParams.set('request_id', id);
  login.searchParams.set('client_id', client.id);
  login.searchParams.set('scope', scopes.join(' '));
  res.writeHead(302, [...baseHeaders(requestId), 'location', login.toString(), 'cache-control', 'no-store']);
  res.end();
}
