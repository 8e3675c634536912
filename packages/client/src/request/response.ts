import { PROBLEM_MEDIA_TYPE } from '@portcullis/protocol';
import type { ProblemDetails } from '@portcullis/protocol';
import { HttpError } from '../errors.js';
import type { Redactor } from '../observe/redact.js';

/** What every call resolves to. */
export interface ClientResponse<T> {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON body (validated when a schema was given); the text for other media types; undefined when empty. */
  readonly data: T;
  /** Served from the cache: fresh, or stale because the origin failed (`stale`). */
  readonly fromCache: boolean;
  readonly stale: boolean;
  /** Produced by the `fallback` hook because the host failed or its circuit is open. */
  readonly fallback: boolean;
}

export function parseBody(headers: Readonly<Record<string, string>>, body: Buffer): unknown {
  if (body.length === 0) return undefined;
  const type = headers['content-type']?.toLowerCase() ?? '';
  const text = body.toString('utf8');
  if (!/[/+]json\b/.test(type)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** An HttpError with the problem document when there is one; the message is masked of every held secret. */
export function httpError(method: string, url: URL, status: number, headers: Record<string, string>, body: Buffer, redactor: Redactor): HttpError {
  const parsed = parseBody(headers, body);
  const isProblem = headers['content-type']?.toLowerCase().startsWith(PROBLEM_MEDIA_TYPE) && parsed !== null && typeof parsed === 'object';
  const problem = isProblem ? (redactor.value(parsed) as ProblemDetails) : undefined;
  const title = problem && typeof problem.title === 'string' ? `: ${problem.title}` : '';
  return new HttpError(redactor.text(`${method} ${url.host}${url.pathname} answered ${status}${title}`), {
    status,
    headers,
    body: redactor.value(parsed),
    problem,
  });
}
