/**
 * The closed set of keyring failures. Callers branch on `code`, never on the message; a retired code is
 * never reused. Messages name files, env vars and key ids (not secret) but never key material or
 * plaintext.
 */
export const KEYRING_ERROR_CODES = [
  /** The ciphertext is not a well-formed `pcx1` string. */
  'malformed',
  /** The ciphertext names a data key that is not in `data_keys`. */
  'unknown_key',
  /** Authentication failed: the ciphertext was altered, or it belongs to another context. */
  'decrypt_failed',
  /** A data key is wrapped under a master key that is not configured. */
  'unknown_master_key',
  /** A wrapped data key failed authentication under its master key (altered row). */
  'unwrap_failed',
  /** No master key is configured and none may be created. */
  'master_key_missing',
  /** A configured master key is not base64 of exactly 32 bytes, or the configuration is ambiguous. */
  'master_key_invalid',
  /** A master key file is accessible by group or others, or is not a regular file. */
  'master_key_insecure',
] as const;

export type KeyringErrorCode = (typeof KEYRING_ERROR_CODES)[number];

export class KeyringError extends Error {
  override readonly name = 'KeyringError';
  readonly code: KeyringErrorCode;

  constructor(code: KeyringErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
