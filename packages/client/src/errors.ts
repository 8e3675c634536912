import type { ProblemDetails } from '@portcullis/protocol';

/**
 * Every failure the client raises, by a stable machine-readable code (STYLE.md: tests and callers
 * branch on the code, never on the message). A retired code is never reused.
 */
export const CLIENT_ERROR_CODES = [
  'http_status',
  'transport_failed',
  'timeout',
  'deadline_exceeded',
  'circuit_open',
  'protocol_not_allowed',
  'host_not_allowed',
  'address_not_allowed',
  'too_many_redirects',
  'token_request_failed',
  'token_unavailable',
  'secret_unavailable',
  'invalid_input',
  'invalid_response',
] as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

/** The base of the hierarchy: `instanceof ClientError` catches everything the client throws on purpose. */
export class ClientError extends Error {
  readonly code: ClientErrorCode;
  constructor(code: ClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The server answered with a status the call does not accept (>= 400 after retries). */
export class HttpError extends ClientError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The RFC 9457 problem document when the body was `application/problem+json`. */
  readonly problem: ProblemDetails | undefined;
  /** The body, parsed as JSON when it was JSON, otherwise the text. */
  readonly body: unknown;
  constructor(
    message: string,
    details: { status: number; headers: Record<string, string>; body: unknown; problem: ProblemDetails | undefined },
  ) {
    super('http_status', message);
    this.status = details.status;
    this.headers = details.headers;
    this.body = details.body;
    this.problem = details.problem;
  }
}

/** No usable answer: connection refused or reset, TLS failure, timeout, deadline, open circuit. */
export class TransportError extends ClientError {
  /** When the server (or the circuit) says the call may succeed again, epoch ms. */
  readonly retryAt: number | undefined;
  /** The low-level error code (ECONNRESET, UND_ERR_SOCKET, ...) when there was one. */
  readonly reason: string | undefined;
  constructor(code: ClientErrorCode, message: string, options: { cause?: unknown; retryAt?: number; reason?: string } = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryAt = options.retryAt;
    this.reason = options.reason;
  }
}

/** The client refused to send: a non-https URL, a host outside `allowedHosts`, a private address. */
export class PolicyError extends ClientError {
  readonly host: string | undefined;
  constructor(code: ClientErrorCode, message: string, host?: string) {
    super(code, message);
    this.host = host;
  }
}

/** No credential could be obtained: token endpoint refused or unreachable, secret missing at run time. */
export class AuthError extends ClientError {}

/** Input or response data did not match its Standard Schema. */
export class ValidationError extends ClientError {
  readonly issues: readonly { readonly message: string; readonly path?: readonly PropertyKey[] }[];
  constructor(code: 'invalid_input' | 'invalid_response', message: string, issues: ValidationError['issues']) {
    super(code, message);
    this.issues = issues;
  }
}
