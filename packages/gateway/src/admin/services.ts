import type { AccountDeps } from '../accounts/deps.js';
import type { Config } from '../config/load.js';
import type { FlowDeps } from '../credentials/authorization-code.js';
import type { CredentialDeps } from '../credentials/deps.js';
import type { SigningKeys } from '../credentials/signing-keys.js';
import type { Keyring } from '../crypto/keyring.js';
import type { AlertDispatcher } from '../observe/alert-dispatcher.js';

/** What the admin operations work with; built once at start by server/gateway.ts. */
export interface AdminServices {
  readonly credentials: CredentialDeps;
  readonly keyring: Keyring;
  /** The OAuth token signing keys. */
  readonly signingKeys: SigningKeys;
  /** The authorization_code flow, for the login page's approve/deny. */
  readonly flow: FlowDeps;
  /** The data plane's issuer URL (known once its listener has a port). */
  readonly issuer: () => string;
  readonly alerts: AlertDispatcher;
  /** Writes queued access records now, so an incident export includes the latest. */
  readonly flushAccess: () => Promise<void>;
  /** The OpenAPI document of the admin API. */
  readonly describeApi: () => Record<string, unknown>;
  /** Console users and their sessions. */
  readonly accounts: AccountDeps;
  /** The configuration, for the read-only services view and the checks. */
  readonly config: Config;
  /** The data plane's URL and the CA that signed its certificate (dev CA), for the checks. */
  readonly self: () => { readonly url: string; readonly ca: Buffer | undefined };
}
