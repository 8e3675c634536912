/**
 * Every error Portcullis raises on purpose is a PortcullisError with a stable `code` from the one list
 * below (jose `src/util/errors.ts`, fastify `lib/errors.js`). Callers branch on `code`, never on the
 * message; tests assert the code. One style: snake_case. A retired code is never reused.
 *
 * Each family has its subclass beside the code that raises it (ConfigError in config/, StoreError in
 * store/, KeyringError in crypto/, CredentialError in credentials/, AdminRefusal in admin/, CliError in
 * cli/). HTTP surfaces map codes to problem+json in one place each (admin/errors.ts); the command line
 * alone maps them to exit codes (cli/cli-error.ts).
 *
 * Messages are for operators: they may name files, env vars, ids and config keys, never a secret, a
 * password, key material or a query's parameter values.
 */

/** A configuration that cannot be used (the message names the key, the fix and an example). */
export const CONFIG_ERROR_CODES = ['invalid_config'] as const;

/**
 * Storage failures raised by the store itself. Errors from the database (constraint violations and the
 * like) pass through as the driver's error with its SQLSTATE in `code` (e.g. '23505'), on both backends,
 * except a lost connection, which becomes 'unavailable'.
 */
export const STORE_ERROR_CODES = [
  /** The embedded data directory is held by another process (or by another open Database here). */
  'locked',
  /** PostgreSQL could not be reached, refused the connection, or the connection was lost mid-query. */
  'unavailable',
  /** The Database was used after `close()`. */
  'closed',
  /**
   * The Database itself (not the `tx` handed to the work) was used inside its own transaction: on the
   * embedded backend it would wait for the transaction forever, on PostgreSQL it would run outside it.
   */
  'query_in_transaction',
  /** A `tx` handle was used after its transaction had ended. */
  'transaction_closed',
  /** A statement failed inside the transaction and the work went on; everything was rolled back. */
  'transaction_aborted',
] as const;

/** Keyring failures. Messages name files, env vars and key ids (not secret), never key material. */
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

/** Why an admin operation on credentials could not be done. */
export const CREDENTIAL_ERROR_CODES = ['consumer_not_found', 'key_not_found', 'consumer_disabled', 'name_taken', 'key_not_active', 'client_not_found', 'client_not_active', 'invalid_jwk'] as const;

/** An admin API request refused before or during its operation; it carries its problem document. */
/** Console sign-in and users (accounts/errors.ts). */
export const ACCOUNT_ERROR_CODES = [
  'invalid_login',
  'login_throttled',
  'invalid_code',
  'setup_link_invalid',
  'session_required',
  'csrf_token_invalid',
  'weak_password',
  'invalid_username',
  'malformed_request',
  'user_not_found',
  'username_taken',
  'role_above_own',
  'last_owner',
] as const;

export const ADMIN_ERROR_CODES = ['admin_refused'] as const;

/** Failures of the command line itself (not of the gateway it talks to). */
export const CLI_ERROR_CODES = [
  /** The admin API could not be reached, refused the call, or no admin token could be found. */
  'admin_call_failed',
  /** A flag or argument the command cannot use (the message names the flag and the fix). */
  'usage',
  /** `init` would overwrite an existing file without --force. */
  'file_exists',
  /** `audit verify` found an altered or removed record. */
  'audit_broken',
  /** `scan` or `check` found something at or above --fail-on (exit 1). */
  'findings',
  /** `scan` could not run: an unreadable lockfile, no advisories to be had (exit 2). */
  'scan_failed',
] as const;

/** The gateway could not start for a reason the operator fixes in the configuration or a flag. */
export const SERVER_ERROR_CODES = [
  /** A listen or admin port is in use, needs privileges, or its host is not an address of this machine. */
  'port_unavailable',
] as const;

/** A console single sign-on refused (its `reason` says why: a bad signature, a replay, no role...). */
export const SSO_ERROR_CODES = ['sso_refused'] as const;

export type ConfigErrorCode = (typeof CONFIG_ERROR_CODES)[number];
export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];
export type KeyringErrorCode = (typeof KEYRING_ERROR_CODES)[number];
export type CredentialErrorCode = (typeof CREDENTIAL_ERROR_CODES)[number];
export type AccountErrorCode = (typeof ACCOUNT_ERROR_CODES)[number];
export type AdminErrorCode = (typeof ADMIN_ERROR_CODES)[number];
export type CliErrorCode = (typeof CLI_ERROR_CODES)[number];
export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[number];
export type SsoErrorCode = (typeof SSO_ERROR_CODES)[number];
export type ErrorCode = ConfigErrorCode | StoreErrorCode | KeyringErrorCode | CredentialErrorCode | AccountErrorCode | AdminErrorCode | CliErrorCode | ServerErrorCode | SsoErrorCode;

/** The one base class. Subclasses narrow `code` to their family and set `name`. */
export class PortcullisError<C extends ErrorCode = ErrorCode> extends Error {
  override readonly name: string = 'PortcullisError';
  readonly code: C;

  constructor(code: C, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** True for one of our errors, optionally of one code. */
export function isPortcullisError<C extends ErrorCode>(error: unknown, code?: C): error is PortcullisError<C> {
  return error instanceof PortcullisError && (code === undefined || error.code === code);
}
