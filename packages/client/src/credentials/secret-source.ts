import { readFileSync } from 'node:fs';
import { AuthError } from '../errors.js';

/**
 * Where a secret comes from. `name` identifies the source in messages (a variable name, a file path,
 * a secret manager's key): it is never the value. `load` may be called on every use, so a secret
 * manager adapter should cache.
 *
 * @example
 * const vault: SecretSource = { name: 'vault:kv/payments#api_key', load: () => vaultClient.read('kv/payments', 'api_key') };
 */
export interface SecretSource {
  readonly name: string;
  load(): string | Promise<string>;
}

/** A secret given directly (a string the caller read itself) or through a source. */
export type SecretInput = string | SecretSource;

/**
 * A secret from an environment variable, checked now: a missing or empty variable throws a TypeError
 * that names the variable (never a value).
 *
 * @example
 * auth.apiKey({ key: fromEnv('PAYMENTS_API_KEY') })
 */
export function fromEnv(variable: string, env: NodeJS.ProcessEnv = process.env): SecretSource {
  const value = env[variable]?.trim();
  if (!value) {
    throw new TypeError(`The environment variable ${variable} is missing or empty: set it to the secret (e.g. export ${variable}=...).`);
  }
  return { name: `env:${variable}`, load: () => value };
}

/**
 * A secret from a file, as Docker and Kubernetes mount them (`/run/secrets/NAME`). Read now, so a
 * missing, unreadable or empty file throws a TypeError naming the path; one trailing newline is dropped.
 *
 * @example
 * auth.clientCredentials({ tokenUrl, clientId: 'billing', clientSecret: fromFile('/run/secrets/billing_client_secret') })
 */
export function fromFile(path: string): SecretSource {
  let value: string;
  try {
    value = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new TypeError(`The secret file ${path} cannot be read (${reason}): mount the secret there or pass another path.`, { cause: error });
  }
  if (value.trim() === '') throw new TypeError(`The secret file ${path} is empty: write the secret into it.`);
  return { name: `file:${path}`, load: () => value };
}

/**
 * Checks a secret option at construction. A plain string must be non-empty (so
 * `process.env.X_SECRET` being unset fails here, naming the option); a source is checked on first use.
 */
export function requireSecret(input: SecretInput | undefined, option: string): SecretSource {
  if (typeof input === 'string') {
    if (input.trim() === '') throw new TypeError(`${option} is empty: pass the secret, or fromEnv('NAME') to read it from the environment.`);
    return { name: option, load: () => input };
  }
  if (input && typeof input === 'object' && typeof input.load === 'function' && typeof input.name === 'string') return input;
  throw new TypeError(`${option} is missing: pass the secret, or fromEnv('NAME') / fromFile('/run/secrets/NAME').`);
}

/** Loads a secret, registers it for masking, and turns an empty or failed load into an AuthError. */
export async function loadSecret(source: SecretSource, register: (value: string) => void): Promise<string> {
  let value: string;
  try {
    value = await source.load();
  } catch (error) {
    throw new AuthError('secret_unavailable', `The secret ${source.name} could not be loaded.`, { cause: error });
  }
  if (typeof value !== 'string' || value.trim() === '') throw new AuthError('secret_unavailable', `The secret ${source.name} is empty.`);
  register(value);
  return value;
}
