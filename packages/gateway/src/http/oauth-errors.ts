import type { ServerResponse } from 'node:http';
import { sendJson } from './respond.js';

/**
 * The error codes the OAuth endpoints answer with: RFC 6749 §5.2, RFC 7009 §2.2.1, RFC 8707 §2 and
 * RFC 9449 §5. These endpoints speak OAuth's JSON errors, not problem+json: OAuth clients parse them.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'unsupported_response_type'
  | 'access_denied'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'unsupported_token_type'
  | 'invalid_dpop_proof'
  | 'server_error'
  | 'temporarily_unavailable';

/** An OAuth refusal as a value; the endpoint turns it into HTTP in one place (sendOAuthError). */
export interface OAuthError {
  readonly error: OAuthErrorCode;
  /** Public, safe text for the client developer: never an internal cause. */
  readonly description?: string;
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
}

const STATUS: Readonly<Record<OAuthErrorCode, number>> = {
  invalid_request: 400,
  unsupported_response_type: 400,
  access_denied: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_target: 400,
  unsupported_token_type: 400,
  invalid_dpop_proof: 400,
  server_error: 500,
  temporarily_unavailable: 503,
};

export function oauthError(error: OAuthErrorCode, description?: string, options: { status?: number; headers?: Record<string, string> } = {}): OAuthError {
  return {
    error,
    status: options.status ?? STATUS[error],
    ...(description === undefined ? {} : { description }),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
  };
}

export function isOAuthError(value: unknown): value is OAuthError {
  return typeof value === 'object' && value !== null && typeof (value as OAuthError).error === 'string' && typeof (value as OAuthError).status === 'number';
}

/** An OAuth JSON answer: never cached (RFC 6749 §5.1: Cache-Control: no-store, Pragma: no-cache). */
export function sendOAuthJson(res: ServerResponse, requestId: string, status: number, body: unknown, headers: readonly string[] = []): void {
  sendJson(res, requestId, status, body, ['pragma', 'no-cache', ...headers]);
}

/** RFC 6749 §5.2: `{"error": ..., "error_description": ...}`. */
export function sendOAuthError(res: ServerResponse, requestId: string, e: OAuthError): void {
  const headers: string[] = [];
  if (e.headers) for (const [name, value] of Object.entries(e.headers)) headers.push(name, value);
  sendOAuthJson(res, requestId, e.status, { error: e.error, ...(e.description ? { error_description: e.description } : {}) }, headers);
}
