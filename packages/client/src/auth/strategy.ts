import type { Clock } from '../clock.js';
import type { EventHub } from '../observe/events.js';
import type { Transport } from '../transport/https-transport.js';
import type { Lock } from './lock.js';

/** What a strategy adds to one request. `credential` identifies it, so a 401 refreshes only that one. */
export interface AppliedAuth {
  readonly headers: Readonly<Record<string, string>>;
  readonly credential: string | undefined;
}

/** An auth strategy bound to one client. */
export interface AuthStrategy {
  readonly kind: string;
  apply(request: { readonly method: string; readonly url: URL }): Promise<AppliedAuth>;
  /**
   * After a 401 to a request sent with `applied`: invalidates that credential (only if it is still
   * the current one, so that concurrent 401s cause one refresh) and says whether a retry may help.
   */
  refused(applied: AppliedAuth): Promise<boolean>;
}

/** The client's parts a strategy uses: its clock, events, secret masking and the secured transport. */
export interface AuthRuntime {
  readonly clock: Clock;
  readonly events: EventHub;
  readonly remember: (secret: string) => void;
  readonly transport: Transport;
  /** `fetch` over the client's transport (https only, allowedHosts, private addresses refused). */
  readonly fetch: (url: string, init?: RequestInit) => Promise<Response>;
  readonly defaultLock: Lock;
}

/** What `auth.*()` returns: options checked at once, bound to the client by createClient. */
export interface AuthFactory {
  readonly kind: string;
  /** Hosts the strategy talks to itself (token endpoints), allowed in addition to allowedHosts. */
  readonly endpoints: readonly URL[];
  create(runtime: AuthRuntime): AuthStrategy;
}

/** A token endpoint or login URL given in options: absolute and https, or a TypeError naming the option. */
export function requireHttpsUrl(value: unknown, option: string): URL {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new TypeError(`${option} must be an absolute https URL, e.g. "https://auth.example.com/oauth/token".`);
  }
  if (url.protocol !== 'https:') throw new TypeError(`${option} must use https: (got ${url.protocol}): tokens never travel in clear text.`);
  return url;
}

export function requireNonEmpty(value: unknown, option: string, example: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`${option} is missing or empty: e.g. ${option}: ${example}.`);
  return value;
}
