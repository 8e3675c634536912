/** RFC 9457 problem details, the error body of every Portcullis HTTP surface. */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** The closed set of problem codes. A retired code is never reused. Documented in docs/errors.md. */
export const PROBLEM_CODES = [
  'bad-request',
  'credential-in-query',
  'invalid-credential',
  'invalid-signature',
  'forbidden',
  'insufficient-scope',
  'not-found',
  'method-not-allowed',
  'conflict',
  'request-timeout',
  'payload-too-large',
  'unsupported-media-type',
  'headers-too-large',
  'rate-limited',
  'internal',
  'bad-gateway',
  'unavailable',
  'gateway-timeout',
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

export const PROBLEM_TYPE_PREFIX = 'urn:portcullis:problem:';

export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  /** The request id, so that a user can quote it and an operator can find the log line. */
  readonly instance?: string;
  readonly detail?: string;
  readonly [extension: string]: unknown;
}

export function problemType(code: ProblemCode): string {
  return PROBLEM_TYPE_PREFIX + code;
}

/** The problem code of a problem document, or undefined when it is not one of ours. */
export function problemCodeOf(problem: Pick<ProblemDetails, 'type'>): ProblemCode | undefined {
  if (!problem.type.startsWith(PROBLEM_TYPE_PREFIX)) return undefined;
  const code = problem.type.slice(PROBLEM_TYPE_PREFIX.length);
  return (PROBLEM_CODES as readonly string[]).includes(code) ? (code as ProblemCode) : undefined;
}
