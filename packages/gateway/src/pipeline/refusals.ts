import { problem } from '../http/problems.js';
import type { Problem } from '../http/problems.js';

/**
 * The one refusal for a credential that may not be used, whatever the reason: unknown, expired,
 * revoked, rotated out, disabled consumer, or used outside its IP or Origin allow-list. Which check
 * failed goes to metrics, the debug log and the audit trail, never to the caller (RFC 6750 §3.1):
 * a 403 for an allow-list miss would tell whoever holds a stolen key that the key is good.
 */
export const INVALID_CREDENTIAL: Problem = problem('invalid-credential', undefined, { 'www-authenticate': 'Bearer error="invalid_token"' });

/** No credential at all: RFC 6750 §3.1 says such a challenge carries no error code. */
export const MISSING_CREDENTIAL: Problem = problem('invalid-credential', undefined, { 'www-authenticate': 'Bearer realm="portcullis"' });
