import type { ChangeBus } from '../state/change-bus.js';
import type { Clock } from '../state/clock.js';
import type { Database } from '../store/sql.js';
import type { KeyAgePolicy } from './model.js';

/** What the credential operations need; built once at start. */
export interface CredentialDeps {
  readonly db: Database;
  readonly bus: ChangeBus;
  readonly clock: Clock;
  readonly policy: KeyAgePolicy;
}

/** Who asked, for the audit log (an admin token id, or `system`). */
export type Actor = string;
