import { PortcullisError } from '../lib/errors.js';
import type { StoreErrorCode } from '../lib/errors.js';

export type { StoreErrorCode } from '../lib/errors.js';

/** A storage failure raised by the store itself (codes and their meaning: lib/errors.ts). */
export class StoreError extends PortcullisError<StoreErrorCode> {
  override readonly name = 'StoreError';
}
