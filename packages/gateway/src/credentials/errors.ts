/** Why an admin operation on credentials could not be done. Mapped to problem+json by the admin API. */
export type CredentialErrorCode = 'consumer_not_found' | 'key_not_found' | 'consumer_disabled' | 'name_taken' | 'key_not_active';

export class CredentialError extends Error {
  override readonly name = 'CredentialError';
  constructor(
    readonly code: CredentialErrorCode,
    message: string,
  ) {
    super(message);
  }
}
