import { PortcullisError } from '../lib/errors.js';
import type { KeyringErrorCode } from '../lib/errors.js';

export type { KeyringErrorCode } from '../lib/errors.js';

/** A keyring failure (codes and their meaning: lib/errors.ts). Never carries key material or plaintext. */
export class KeyringError extends PortcullisError<KeyringErrorCode> {
  override readonly name = 'KeyringError';
}
