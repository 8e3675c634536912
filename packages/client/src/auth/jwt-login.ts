import { decodeJwt } from 'jose';
import { AuthError } from '../errors.js';
import { loadSecret, requireSecret } from '../credentials/secret-source.js';
import type { SecretInput, SecretSource } from '../credentials/secret-source.js';
import { requireHttpsUrl } from './strategy.js';
import type { AuthFactory } from './strategy.js';
import type { TokenGrant } from './token-manager.js';
import { TokenManager } from './token-manager.js';

/** A login endpoint that never answers must not hold every call forever. */
const LOGIN_TIMEOUT_MS = 30_000;

export interface JwtLoginOptions {
  /** The login endpoint, e.g. `https://api.example.com/auth/login`. */
  url: string;
  /** The JSON body posted, e.g. `{ username: 'svc-billing', password: fromEnv('BILLING_PASSWORD') }`. */
  credentials: Readonly<Record<string, SecretInput>>;
  /** The response field holding the token. Default: the first of `access_token`, `token`, `jwt`. */
  tokenField?: string;
  /** The header and scheme the token is sent in. Default `authorization` / `Bearer`. */
  header?: string;
  scheme?: string;
}

/**
 * POSTs credentials as JSON and reads the token and its expiry from the answer: `expires_in`
 * (seconds), `expires_at` (epoch seconds or ISO date), or else the JWT's own `exp` claim (decoded with
 * jose, not verified: the client only needs to know when to log in again). No lifetime: 55 minutes.
 *
 * @example
 * auth.jwtLogin({ url: 'https://api.vendor.com/login', credentials: { user: 'billing', password: fromEnv('VENDOR_PASSWORD') } })
 */
export function jwtLogin(options: JwtLoginOptions): AuthFactory {
  const url = requireHttpsUrl(options?.url, 'auth.jwtLogin: url');
  const entries = Object.entries(options.credentials ?? {});
  if (entries.length === 0) throw new TypeError("auth.jwtLogin: credentials is required, e.g. { username: 'svc', password: fromEnv('API_PASSWORD') }.");
  const fields: [string, SecretSource][] = entries.map(([name, value]) => [name, requireSecret(value, `auth.jwtLogin: credentials.${name}`)]);
  const header = (options.header ?? 'authorization').toLowerCase();
  const scheme = options.scheme ?? (header === 'authorization' ? 'Bearer' : '');
  return {
    kind: 'jwtLogin',
    endpoints: [url],
    create(runtime) {
      const login = async (): Promise<TokenGrant> => {
        const body: Record<string, string> = {};
        for (const [name, source] of fields) body[name] = await loadSecret(source, runtime.remember);
        const response = await runtime.transport.send({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(LOGIN_TIMEOUT_MS),
        });
        if (response.status < 200 || response.status > 299) {
          if (response.status === 401 || response.status === 403) runtime.events.emit('auth_failure', { host: url.host, status: response.status, strategy: 'jwtLogin' });
          throw new AuthError('token_request_failed', `The login endpoint ${url.host} answered ${response.status}.`);
        }
        return readGrant(response.body, options.tokenField, url.host);
      };
      const tokens = new TokenManager('jwtLogin', runtime, login);
      return {
        kind: 'jwtLogin',
        async apply() {
          const token = await tokens.current();
          return { headers: { [header]: scheme ? `${scheme} ${token.value}` : token.value }, credential: token.value };
        },
        refused: async (applied) => tokens.refused(applied.credential),
      };
    },
  };
}

function readGrant(raw: Buffer, tokenField: string | undefined, host: string): TokenGrant {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new AuthError('token_request_failed', `The login endpoint ${host} did not answer JSON.`);
  }
  const token = [tokenField, 'access_token', 'token', 'jwt'].map((f) => (f ? json[f] : undefined)).find((v) => typeof v === 'string' && v !== '');
  if (typeof token !== 'string') throw new AuthError('token_request_failed', `The login answer from ${host} has no ${tokenField ?? 'access_token, token or jwt'} field.`);
  const expiresIn = Number(json.expires_in ?? json.expiresIn);
  if (Number.isFinite(expiresIn) && expiresIn > 0) return { accessToken: token, expiresIn };
  const at = json.expires_at ?? json.expiresAt;
  if (typeof at === 'number') return { accessToken: token, expiresAt: at * 1000 };
  if (typeof at === 'string' && !Number.isNaN(Date.parse(at))) return { accessToken: token, expiresAt: Date.parse(at) };
  try {
    const exp = decodeJwt(token).exp;
    if (typeof exp === 'number') return { accessToken: token, expiresAt: exp * 1000 };
  } catch {
    // Not a JWT: the default lifetime applies.
  }
  return { accessToken: token };
}
