import { PortcullisError } from '../lib/errors.js';
import type { CredentialErrorCode } from '../lib/errors.js';

export type { CredentialErrorCode } from '../lib/errors.js';

/** Why an admin operation on credentials could not be done. Mapped to problem+json by admin/errors.ts. */
export class CredentialError extends PortcullisError<CredentialErrorCode> {
  override readonly name = 'CredentialError';
}
