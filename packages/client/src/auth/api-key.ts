import { loadSecret, requireSecret } from '../credentials/secret-source.js';
import type { SecretInput } from '../credentials/secret-source.js';
import type { AuthFactory } from './strategy.js';

export interface ApiKeyOptions {
  /** The key, or where to read it: `fromEnv('NAME')`, `fromFile(path)`, a SecretSource. */
  key: SecretInput;
  /** The header that carries it. Default `authorization`, sent as `Bearer <key>`. */
  header?: string;
  /** The scheme before the key in the `authorization` header. Default `Bearer`; `''` for none. */
  scheme?: string;
}

/**
 * An API key in a header of your choice.
 *
 * @example
 * auth.apiKey({ key: fromEnv('PORTCULLIS_API_KEY') })
 * auth.apiKey({ key: fromEnv('VENDOR_KEY'), header: 'x-api-key' })
 */
export function apiKey(options: ApiKeyOptions): AuthFactory {
  const source = requireSecret(options?.key, 'auth.apiKey: key');
  const header = (options.header ?? 'authorization').toLowerCase();
  if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(header)) throw new TypeError(`auth.apiKey: header "${options.header}" is not a header name, e.g. "x-api-key".`);
  const scheme = options.scheme ?? (header === 'authorization' ? 'Bearer' : '');
  return {
    kind: 'apiKey',
    endpoints: [],
    create(runtime) {
      return {
        kind: 'apiKey',
        async apply() {
          const key = await loadSecret(source, runtime.remember);
          return { headers: { [header]: scheme ? `${scheme} ${key}` : key }, credential: key };
        },
        // A refused key stays refused: retrying would only repeat the 401.
        refused: async () => false,
      };
    },
  };
}
