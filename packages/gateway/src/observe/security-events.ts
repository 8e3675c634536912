/**
 * Security events that other parts raise and security operations consume (metrics, anomaly rules, the
 * audit log). Producers call `emit` on the hot path: it is synchronous, allocation-light, and a failing
 * listener never reaches the producer.
 *
 * Producers today: none inside this file's own part; the OAuth server (token issuance) and the traffic
 * policies (rate limits, signatures, brute-force defence, insurance limiter) emit these kinds.
 */
export type SecurityEvent =
  /** The brute-force defence blocked a client IP or a credential id (`subject`). */
  | { readonly kind: 'bruteforce_blocked'; readonly clientIp: string; readonly subject?: string; readonly until?: Date }
  /** A token request was refused (bad client secret, bad grant, scope not allowed...). */
  | { readonly kind: 'token_issue_failed'; readonly clientId: string | null; readonly clientIp: string; readonly reason: string }
  | { readonly kind: 'token_issued'; readonly clientId: string; readonly consumerId: string }
  | { readonly kind: 'rate_limited'; readonly consumerId: string | null; readonly service: string; readonly clientIp: string }
  | { readonly kind: 'signature_failed'; readonly reason: string; readonly keyId: string | null; readonly clientIp: string }
  /** The shared rate-limit store is unreachable and the in-process insurance limiter took over (or gave back). */
  | { readonly kind: 'insurance_limiter'; readonly state: 'engaged' | 'released' };

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
