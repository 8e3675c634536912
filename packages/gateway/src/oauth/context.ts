import type { IncomingMessage } from 'node:http';
import type { DpopVerifier } from '../credentials/dpop.js';
import type { SigningKeys } from '../credentials/signing-keys.js';
import type { TokenDenyList } from '../credentials/token-deny-list.js';
import type { TokenVerifier } from '../credentials/verify-token.js';
import type { Logger } from '../observe/logger.js';
import type { SecurityEvents } from '../observe/security-events.js';
import type { Clock } from '../state/clock.js';
import type { Database } from '../store/sql.js';
import type { ClientAuthThrottle } from './throttle.js';

/** What the authorization server's endpoints share; built once at start (server/gateway.ts). */
export interface OAuthContext {
  readonly db: Database;
  readonly clock: Clock;
  readonly keys: SigningKeys;
  readonly denyList: TokenDenyList;
  readonly tokens: TokenVerifier;
  readonly throttle: ClientAuthThrottle;
  readonly dpop: DpopVerifier;
  readonly logger: Logger;
  /** Token issuance, refused token requests and client authentication failures are reported here. */
  readonly events: SecurityEvents;
  /** The issuer (`iss`), e.g. https://api.example.com; known once the listener has its port. */
  readonly issuer: () => string;
  /** The `aud` of the tokens: the resource (RFC 9068 §3). */
  readonly audience: () => string;
  readonly accessTokenLifetimeMs: number;
  /** authorization_code is offered only when a login page is configured (oauth.loginUrl). */
  readonly loginUrl: string | undefined;
  /** The caller's address, through trustedProxies as on the data plane (for throttling). */
  readonly clientIp: (req: IncomingMessage) => string;
}
