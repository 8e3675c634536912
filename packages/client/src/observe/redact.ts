import { findCredentials } from '@portcullis/protocol';

/**
 * Redaction for everything the client logs or puts in an error: by field or header name
 * (case-insensitive, at any depth) and by value (every secret the client holds, wherever it appears:
 * URLs, messages, nested bodies).
 */
export const REDACTED = '[REDACTED]';

/** Names whose values are always hidden; `redact` option adds more (PII fields such as `email`). */
export const SENSITIVE_NAMES = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'api_key',
  'apikey',
  'access_token',
  'refresh_token',
  'id_token',
  'token',
  'client_secret',
  'client_assertion',
  'assertion',
  'password',
  'secret',
  'dpop',
  'signature',
  'private_key',
] as const;

/** Secrets shorter than this are not masked by value: masking "a" everywhere would garble logs. */
const MIN_MASKED_LENGTH = 8;
/** Bound on remembered values: tokens rotate, so old ones drop out. */
const MAX_VALUES = 256;

export class Redactor {
  private readonly names: Set<string>;
  private readonly values = new Set<string>();

  constructor(extraNames: readonly string[] = []) {
    this.names = new Set([...SENSITIVE_NAMES, ...extraNames].map((n) => n.toLowerCase()));
  }

  /** Remembers a secret so that it is masked wherever it later appears. */
  readonly remember = (value: string): void => {
    if (value.length < MIN_MASKED_LENGTH || this.values.has(value)) return;
    this.values.add(value);
    // URL-encoded forms appear in query strings and form bodies.
    const encoded = encodeURIComponent(value);
    if (encoded !== value) this.values.add(encoded);
    while (this.values.size > MAX_VALUES) this.values.delete(this.values.values().next().value as string);
  };

  isSensitiveName(name: string): boolean {
    return this.names.has(name.toLowerCase());
  }

  /**
   * Masks every remembered secret inside a string, and any Portcullis credential found by its format
   * (a key or secret the client does not hold, e.g. echoed by a server, is still a secret).
   */
  text(input: string): string {
    let out = input;
    for (const value of this.values) if (out.includes(value)) out = out.split(value).join(REDACTED);
    for (const found of findCredentials(out)) out = out.split(found.value).join(REDACTED);
    return out;
  }

  /** A deep copy with sensitive names and remembered values masked; cycles and depth are bounded. */
  value(input: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
    if (typeof input === 'string') return this.text(input);
    if (input === null || typeof input !== 'object') return input;
    if (depth > 12 || seen.has(input)) return '[Truncated]';
    seen.add(input);
    if (input instanceof Error) return this.error(input);
    if (Array.isArray(input)) return input.map((item) => this.value(item, depth + 1, seen));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(input as Record<string, unknown>)) {
      out[key] = this.isSensitiveName(key) ? REDACTED : this.value(item, depth + 1, seen);
    }
    return out;
  }

  /** What a log line may say about an error: its class, code and masked message, never the raw cause. */
  error(error: Error): Record<string, unknown> {
    const code = (error as { code?: unknown }).code;
    return { type: error.name, ...(code === undefined ? {} : { code }), message: this.text(error.message) };
  }
}
