import { PROBLEM_MEDIA_TYPE, problemType } from '@portcullis/protocol';
import type { ProblemCode, ProblemDetails } from '@portcullis/protocol';

/**
 * The closed set of problems the gateway answers with, each with its status and public title.
 * Public text only: internal causes go to the log with the request id (STYLE.md, practice 6).
 */
export const PROBLEMS: Readonly<Record<ProblemCode, { status: number; title: string }>> = {
  'bad-request': { status: 400, title: 'Bad request' },
  'credential-in-query': { status: 400, title: 'Credentials are not accepted in the query string' },
  'invalid-credential': { status: 401, title: 'Unauthorized' },
  'invalid-signature': { status: 401, title: 'Invalid request signature' },
  forbidden: { status: 403, title: 'Forbidden' },
  'insufficient-scope': { status: 403, title: 'Insufficient scope' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict' },
  'request-timeout': { status: 408, title: 'Request timeout' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'headers-too-large': { status: 431, title: 'Request header fields too large' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal server error' },
  'bad-gateway': { status: 502, title: 'Bad gateway' },
  unavailable: { status: 503, title: 'Service unavailable' },
  'gateway-timeout': { status: 504, title: 'Gateway timeout' },
};

/** A refusal as a value: stages return these, only the respond stage turns them into HTTP. */
export interface Problem {
  readonly code: ProblemCode;
  /** Public, safe detail for the client (never internal causes). */
  readonly detail?: string;
  /** Extra response headers, e.g. WWW-Authenticate or Retry-After. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Extension members of the problem document, e.g. validation errors of an admin request. */
  readonly extensions?: Readonly<Record<string, unknown>>;
}

export function problem(code: ProblemCode, detail?: string, headers?: Record<string, string>): Problem {
  return { code, ...(detail === undefined ? {} : { detail }), ...(headers === undefined ? {} : { headers }) };
}

export function problemBody(p: Problem, requestId: string): string {
  const kind = PROBLEMS[p.code];
  const doc: ProblemDetails = {
    type: problemType(p.code),
    title: kind.title,
    status: kind.status,
    ...(p.detail === undefined ? {} : { detail: p.detail }),
    instance: requestId,
    ...p.extensions,
  };
  return JSON.stringify(doc);
}

export { PROBLEM_MEDIA_TYPE };
