/**
 * The closed set of storage failures raised by the store itself. Callers branch on `code`, never on the
 * message; a retired code is never reused. Errors from the database (constraint violations and the
 * like) pass through as the driver's error with its SQLSTATE in `code` (e.g. '23505'), on both backends.
 * Messages never carry a password, a connection string with its password, or parameter values.
 */
export const STORE_ERROR_CODES = [
  /** The embedded data directory is held by another process (or by another open Database here). */
  'locked',
  /** PostgreSQL could not be reached or refused the connection. */
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

export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
