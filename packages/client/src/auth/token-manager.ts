import { AuthError, ClientError } from '../errors.js';
import type { AuthRuntime } from './strategy.js';

/** What a token request returned. `expiresIn` in seconds, as OAuth's `expires_in`. */
export interface TokenGrant {
  readonly accessToken: string;
  readonly tokenType?: string | undefined;
  readonly expiresIn?: number | undefined;
  /** Absolute expiry (epoch ms) when the server gave one instead of a lifetime. */
  readonly expiresAt?: number | undefined;
}

export interface HeldToken {
  readonly value: string;
  readonly tokenType: string;
  readonly expiresAt: number;
  readonly refreshAt: number;
}

/** Assumed lifetime when the server sends none: a little under the usual hour. */
export const DEFAULT_LIFETIME_MS = 55 * 60_000;
const MAX_MARGIN_MS = 5 * 60_000;
const COOLDOWN_BASE_MS = 1_000;
const COOLDOWN_CAP_MS = 60_000;

/**
 * When to refresh: 5 minutes before expiry, or with 10% of the lifetime left when that is shorter
 * (a 60 s token is refreshed after 54 s, not at once). The lifetime is counted from when the request
 * was sent, so that network latency cannot eat the margin.
 */
export function tokenTimes(grant: TokenGrant, sentAt: number): { expiresAt: number; refreshAt: number } {
  const expiresAt =
    grant.expiresAt ?? sentAt + (grant.expiresIn !== undefined && grant.expiresIn > 0 ? grant.expiresIn * 1000 : DEFAULT_LIFETIME_MS);
  const lifetime = Math.max(0, expiresAt - sentAt);
  return { expiresAt, refreshAt: expiresAt - Math.min(MAX_MARGIN_MS, lifetime / 10) };
}

/**
 * Holds one access token: single flight for the first acquisition and every refresh (any number of
 * concurrent callers, one token request), refresh ahead of expiry, coalesced invalidation after a
 * 401, and a growing cooldown after a failed request instead of hammering the token endpoint.
 */
export class TokenManager {
  private token: HeldToken | undefined;
  private inflight: Promise<HeldToken> | undefined;
  private failures = 0;
  private issued = false;
  private cooldownUntil = 0;

  constructor(
    private readonly strategy: string,
    private readonly runtime: AuthRuntime,
    private readonly request: () => Promise<TokenGrant>,
  ) {}

  async current(): Promise<HeldToken> {
    const now = this.runtime.clock.now();
    const held = this.token;
    if (held && now < held.refreshAt) return held;
    if (this.inflight) return this.inflight;
    if (now < this.cooldownUntil) {
      if (held && now < held.expiresAt) return held;
      throw new AuthError('token_unavailable', `No ${this.strategy} token: the last token request failed; the next one is allowed in ${this.cooldownUntil - now} ms.`);
    }
    this.inflight = this.fetch().finally(() => {
      this.inflight = undefined;
    });
    try {
      return await this.inflight;
    } catch (error) {
      // A refresh ahead of expiry that fails leaves the still-valid token in use.
      if (held && this.runtime.clock.now() < held.expiresAt) return held;
      throw error;
    }
  }

  /** After a 401: drop the token only if it is the one refused, so concurrent 401s cause one refresh. */
  refused(value: string | undefined): boolean {
    if (this.token && this.token.value === value) this.token = undefined;
    return this.runtime.clock.now() >= this.cooldownUntil || this.inflight !== undefined;
  }

  private async fetch(): Promise<HeldToken> {
    const { clock, events, remember } = this.runtime;
    const sentAt = clock.now();
    let grant: TokenGrant;
    try {
      grant = await this.request();
    } catch (error) {
      this.failures++;
      const retryAt = clock.now() + Math.min(COOLDOWN_CAP_MS, COOLDOWN_BASE_MS * 2 ** (this.failures - 1));
      this.cooldownUntil = retryAt;
      const code = error instanceof ClientError ? error.code : 'token_request_failed';
      events.emit('token_refresh_failed', { strategy: this.strategy, code, retryAt });
      throw error instanceof ClientError
        ? error
        : new AuthError('token_request_failed', `The ${this.strategy} token request failed.`, { cause: error });
    }
    remember(grant.accessToken);
    const first = !this.issued;
    this.issued = true;
    this.failures = 0;
    this.cooldownUntil = 0;
    this.token = { value: grant.accessToken, tokenType: grant.tokenType ?? 'Bearer', ...tokenTimes(grant, sentAt) };
    events.emit('token_refreshed', { strategy: this.strategy, expiresAt: this.token.expiresAt, first });
    return this.token;
  }
}
