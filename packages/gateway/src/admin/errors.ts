import type { ProblemCode } from '@portcullis/protocol';
import { problem } from '../http/problems.js';
import type { Problem } from '../http/problems.js';
import { CredentialError } from '../credentials/errors.js';
import type { CredentialErrorCode } from '../credentials/errors.js';
import { StoreError } from '../store/errors.js';
import type { StoreErrorCode } from '../store/errors.js';
import { AccountError, accountProblem } from '../accounts/errors.js';
import { AdminRefusal } from './http.js';

const CREDENTIAL_PROBLEMS: Readonly<Record<CredentialErrorCode, ProblemCode>> = {
  consumer_not_found: 'not-found',
  key_not_found: 'not-found',
  consumer_disabled: 'conflict',
  name_taken: 'conflict',
  key_not_active: 'conflict',
  client_not_found: 'not-found',
  client_not_active: 'conflict',
  invalid_jwk: 'bad-request',
};

/** The store is down or shutting down: the call may succeed later (the rest are bugs: 500). */
const UNAVAILABLE_STORE: ReadonlySet<StoreErrorCode> = new Set(['unavailable', 'closed', 'locked']);

/**
 * How long a client should wait after a 503 before retrying (RFC 9110 §10.2.3): long enough for a
 * PostgreSQL restart or failover, short enough that the CLI's operator retries by hand.
 */
export const RETRY_AFTER_SECONDS = 5;

/** SQLSTATE unique_violation, on both backends. */
const UNIQUE_VIOLATION = '23505';

export interface MappedError {
  readonly problem: Problem;
  /** An operator should look at it (logged at error with the request id); a refusal is not. */
  readonly internal: boolean;
}

/**
 * The one place the admin API turns an error into problem+json. Public text only: a CredentialError's
 * message is written for the caller (ids and names it sent); everything else gets the fixed title and
 * its cause goes to the log.
 */
export function adminProblemFor(error: unknown): MappedError {
  if (error instanceof AdminRefusal) return { problem: error.problem, internal: false };
  if (error instanceof AccountError) return { problem: accountProblem(error), internal: false };
  if (error instanceof CredentialError) return { problem: problem(CREDENTIAL_PROBLEMS[error.code], error.message), internal: false };
  if (error instanceof StoreError && UNAVAILABLE_STORE.has(error.code)) {
    return { problem: problem('unavailable', undefined, { 'retry-after': String(RETRY_AFTER_SECONDS) }), internal: true };
  }
  // A unique constraint lost to a concurrent write that no repository turned into a domain error
  // (they should: consumer names use ON CONFLICT). The caller's write lost a race: 409, not a 500.
  if ((error as { code?: unknown } | null)?.code === UNIQUE_VIOLATION) return { problem: problem('conflict'), internal: false };
  return { problem: problem('internal'), internal: true };
}
