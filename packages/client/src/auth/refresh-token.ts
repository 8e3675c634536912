import * as oauth from 'oauth4webapi';
import { AuthError } from '../errors.js';
import { loadSecret, requireSecret } from '../credentials/secret-source.js';
import type { SecretInput } from '../credentials/secret-source.js';
import type { Lock } from './lock.js';
import { oauthClient, presentToken, tokenRequest } from './oauth-server.js';
import type { OAuthClientOptions, OAuthSession } from './oauth-server.js';
import type { AuthFactory } from './strategy.js';
import { TokenManager } from './token-manager.js';

export interface RefreshTokenOptions extends OAuthClientOptions {
  /** The refresh token to start from (used when `load` returns nothing). */
  refreshToken: SecretInput;
  /**
   * Saves a rotated refresh token. Awaited before the new access token is used, so that a crash
   * right after the exchange never loses the only valid refresh token.
   */
  save: (refreshToken: string) => void | Promise<void>;
  /** Reads the latest saved refresh token, under the lock (another process may have rotated it). */
  load?: () => string | undefined | Promise<string | undefined>;
  /** Exclusion around each exchange. Default: in-process; `redisLock(redis)` across processes. */
  lock?: Lock;
  /** The lock's name; default derived from the client id. */
  lockKey?: string;
}

/**
 * Rotating refresh tokens (RFC 6749 §6, RFC 9700 §4.14.2): each exchange runs under the lock, reads
 * the latest token, and saves the rotated one before using the new access token.
 *
 * @example
 * auth.refreshToken({ tokenUrl, clientId: 'cli', clientSecret: fromEnv('CLI_SECRET'), refreshToken: fromFile('.refresh'),
 *   load: () => readFile('.refresh', 'utf8'), save: (t) => writeFile('.refresh', t, { mode: 0o600 }) })
 */
export function refreshToken(options: RefreshTokenOptions): AuthFactory {
  const oauthOptions = oauthClient(options, 'refreshToken');
  const initial = requireSecret(options.refreshToken, 'auth.refreshToken: refreshToken');
  if (typeof options.save !== 'function') {
    throw new TypeError('auth.refreshToken: save is required: a function that stores the rotated refresh token, e.g. (t) => writeFile(path, t, { mode: 0o600 }).');
  }
  const lockKey = options.lockKey ?? `refresh:${oauthOptions.clientId}`;
  return {
    kind: 'refreshToken',
    endpoints: oauthOptions.endpoints,
    create(runtime) {
      const lock = options.lock ?? runtime.defaultLock;
      let current: string | undefined;
      let session: OAuthSession | undefined;
      const exchange = async () => {
        const s = (session = await oauthOptions.session(runtime));
        const stored = (await options.load?.()) ?? current ?? (await loadSecret(initial, runtime.remember));
        runtime.remember(stored);
        const response = await tokenRequest(s, async () =>
          oauth.processRefreshTokenResponse(s.as, s.client, await oauth.refreshTokenGrantRequest(s.as, s.client, s.clientAuth, stored, s.options)),
        );
        if (response.refresh_token && response.refresh_token !== stored) {
          runtime.remember(response.refresh_token);
          try {
            await options.save(response.refresh_token);
          } catch (error) {
            throw new AuthError('token_request_failed', 'The rotated refresh token could not be saved; the new access token is not used.', { cause: error });
          }
          current = response.refresh_token;
        }
        return { accessToken: response.access_token, tokenType: response.token_type, expiresIn: response.expires_in };
      };
      const tokens = new TokenManager('refreshToken', runtime, () => lock.withLock(lockKey, exchange));
      return {
        kind: 'refreshToken',
        async apply({ method, url }) {
          const token = await tokens.current();
          return { headers: await presentToken(session, token.value, token.tokenType, method, url), credential: token.value };
        },
        refused: async (applied) => tokens.refused(applied.credential),
      };
    },
  };
}
