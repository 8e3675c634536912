/**
 * What protects an upstream in trouble: retries for requests that are safe to send twice, and a circuit
 * breaker that stops sending requests to an upstream that keeps failing (docs/configuration.md, services).
 */

/** RFC 9110 §9.2.2: a second identical request has the same effect as the first. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Failures where the upstream never answered: it refused, reset or dropped the connection. */
const TRANSPORT = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED']);

/**
 * A request may be sent again only when its method is idempotent and it has no body (a streamed body
 * is gone once sent), and only after a transport failure: a timeout may mean the upstream is still
 * working on the first copy.
 */
export function mayRetry(method: string, hasBody: boolean, error: unknown): boolean {
  if (hasBody || !IDEMPOTENT.has(method)) return false;
  const { code, cause } = error as { code?: string; cause?: { code?: string } };
  return TRANSPORT.has(code ?? '') || TRANSPORT.has(cause?.code ?? '');
}

export interface BreakerOptions {
  /** Consecutive upstream failures (no answer, or a timeout) that open the circuit. */
  readonly failures: number;
  /** How long the circuit stays open before one trial request is let through. */
  readonly cooldownMs: number;
  readonly onChange?: (open: boolean) => void;
  readonly now?: () => number;
}

/**
 * Closed: requests flow, failures are counted. Open: requests fail at once (503) for the cooldown.
 * Then half-open: one trial request goes through; its success closes the circuit, its failure opens it
 * for another cooldown. Per instance: each gateway judges the upstream from its own traffic.
 */
export class CircuitBreaker {
  private consecutive = 0;
  private openUntil = 0;
  private trialInFlight = false;
  private readonly now: () => number;

  constructor(private readonly options: BreakerOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** An object: send the request (`trial` when it decides whether to close). A number: fail fast; ms until a trial. */
  admit(): { readonly trial: boolean } | number {
    if (this.openUntil === 0) return { trial: false };
    const left = this.openUntil - this.now();
    if (left > 0 || this.trialInFlight) return Math.max(left, 1_000);
    this.trialInFlight = true;
    return { trial: true };
  }

  /** A trial request ended without a verdict on the upstream: the next request may try. */
  release(): void {
    this.trialInFlight = false;
  }

  record(ok: boolean, trial: boolean): void {
    if (trial) this.trialInFlight = false;
    if (ok) {
      this.consecutive = 0;
      if (this.openUntil !== 0) {
        this.openUntil = 0;
        this.options.onChange?.(false);
      }
      return;
    }
    this.consecutive++;
    if (trial || this.consecutive >= this.options.failures) {
      const wasOpen = this.openUntil !== 0;
      this.openUntil = this.now() + this.options.cooldownMs;
      if (!wasOpen) this.options.onChange?.(true);
    }
  }
}
