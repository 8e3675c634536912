/**
 * Strict-Transport-Security (RFC 6797) for every response: two years, the commonly recommended age.
 * No `preload`: that token consents to hard-coding the whole registrable domain, every subdomain
 * included, into browser preload lists that take months to leave. The domain owner decides that,
 * not a gateway that may serve one host among many.
 */
export const HSTS_HEADER_VALUE = 'max-age=63072000; includeSubDomains';

/** Headers every response carries, whatever answered it: HSTS and the request id. */
export function baseHeaders(requestId: string): string[] {
  return ['strict-transport-security', HSTS_HEADER_VALUE, 'x-request-id', requestId];
}
