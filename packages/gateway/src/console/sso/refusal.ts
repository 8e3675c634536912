import { PortcullisError } from '../../lib/errors.js';
import type { SsoErrorCode } from '../../lib/errors.js';

/** Why a sign-in was refused. Logged with the request id; the browser sees a plain page only. */
export type SsoRefusalReason =
  | 'malformed'
  | 'invalid_assertion'
  | 'wrong_recipient'
  | 'replayed'
  | 'wrong_browser'
  | 'wrong_state'
  | 'invalid_token'
  | 'no_role'
  | 'unsafe_return_to';

export class SsoRefusal extends PortcullisError<SsoErrorCode> {
  override readonly name = 'SsoRefusal';
  constructor(
    readonly reason: SsoRefusalReason,
    /** For the log: names ids and groups, never a token or an assertion. */
    readonly detail: string,
  ) {
    super('sso_refused', `${reason}: ${detail}`);
  }
}
