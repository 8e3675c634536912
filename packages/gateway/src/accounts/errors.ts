import { PortcullisError } from '../lib/errors.js';
import type { ProblemCode } from '@portcullis/protocol';
import { problem } from '../http/problems.js';
import type { Problem } from '../http/problems.js';
import type { AccountErrorCode } from '../lib/errors.js';

/** A refused sign-in or user operation. The message is public (it names nothing secret); admin/errors.ts maps the code. */
export class AccountError extends PortcullisError<AccountErrorCode> {
  override readonly name = 'AccountError';
  constructor(
    code: AccountErrorCode,
    message: string,
    /** login_throttled: seconds until the next attempt is considered. */
    readonly retryAfterSeconds?: number,
  ) {
    super(code, message);
  }
}

const PROBLEMS: Readonly<Record<AccountErrorCode, ProblemCode>> = {
  invalid_login: 'invalid-credential',
  login_throttled: 'rate-limited',
  invalid_code: 'invalid-credential',
  setup_link_invalid: 'invalid-credential',
  session_required: 'invalid-credential',
  csrf_token_invalid: 'forbidden',
  weak_password: 'bad-request',
  invalid_username: 'bad-request',
  malformed_request: 'bad-request',
  user_not_found: 'not-found',
  username_taken: 'conflict',
  role_above_own: 'forbidden',
  last_owner: 'conflict',
};

/** The one map from an account refusal to problem+json, for the console's sign-in and the admin API alike. */
export function accountProblem(error: AccountError): Problem {
  const headers = error.retryAfterSeconds === undefined ? undefined : { 'retry-after': String(error.retryAfterSeconds) };
  return problem(PROBLEMS[error.code], error.message, headers);
}
