/**
 * Security events that other parts raise and security operations consume: the metrics
 * (observe/security-metrics.ts), the anomaly rules and the audit log (observe/security-audit.ts).
 * Producers call `emit` on failure paths only (a refused credential, a 429, a bad signature, a refused
 * token request) and at token issuance: a request that passes emits nothing and pays nothing. `emit` is
 * synchronous, and a failing listener never reaches the producer.
 *
 * Producers: pipeline/authenticate.ts (auth_failed), pipeline/brute-force.ts, pipeline/rate-limit.ts,
 * pipeline/signature.ts, the OAuth token endpoint (oauth/token.ts, oauth/client-auth.ts) and the
 * Redis rate-limit store's insurance limiter (server/gateway.ts). Every reason is from a closed set,
 * so it may be a metric label.
 */
export type SecurityEvent =
  /** A data-plane credential, or an OAuth client's authentication, was refused. */
  | { readonly kind: 'auth_failed'; readonly reason: string; readonly clientIp: string }
  /** The brute-force defence blocked a client IP or a credential id. */
  | { readonly kind: 'bruteforce_blocked'; readonly target: 'ip' | 'credential'; readonly subject: string; readonly clientIp: string; readonly failures: number; readonly blockSeconds: number }
  /** A token request was refused; `reason` is the OAuth error code (invalid_client, invalid_grant...). */
  | { readonly kind: 'token_issue_failed'; readonly clientId: string | null; readonly clientIp: string; readonly reason: string }
  | { readonly kind: 'token_issued'; readonly clientId: string; readonly consumerId: string; readonly grant: string }
  | { readonly kind: 'rate_limited'; readonly consumerId: string | null; readonly service: string; readonly subject: 'consumer' | 'ip'; readonly clientIp: string }
  | { readonly kind: 'signature_failed'; readonly reason: string; readonly consumerId: string | null; readonly clientIp: string }
  /** Redis failed for one rate-limit decision and the in-process insurance limiter answered it. */
  | { readonly kind: 'insurance_limiter'; readonly limit: string; readonly error: unknown };

export type SecurityEventKind = SecurityEvent['kind'];
type Listener = (event: SecurityEvent) => void;

export class SecurityEvents {
  readonly #listeners: Listener[] = [];
  readonly #onListenerError: (error: unknown, event: SecurityEvent) => void;

  constructor(onListenerError: (error: unknown, event: SecurityEvent) => void = () => undefined) {
    this.#onListenerError = onListenerError;
  }

  emit(event: SecurityEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#onListenerError(error, event);
      }
    }
  }

  /** Returns the unsubscribe function. */
  on(listener: Listener): () => void {
    this.#listeners.push(listener);
    return () => {
      const at = this.#listeners.indexOf(listener);
      if (at !== -1) this.#listeners.splice(at, 1);
    };
  }
}
