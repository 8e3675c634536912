import type { Clock } from '../clock.js';

export interface CircuitOptions {
  /** Consecutive failures (transport errors, 5xx) that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long it stays open before one trial call is let through, ms. Default 30 000. */
  openMs?: number;
}

export const CIRCUIT_DEFAULTS = { failureThreshold: 5, openMs: 30_000 } as const;

type State = { kind: 'closed'; failures: number } | { kind: 'open'; until: number } | { kind: 'half-open' };

/**
 * A per-host circuit breaker: closed -> open after `failureThreshold` consecutive failures -> after
 * `openMs` one trial call (half-open) -> closed on success, open again on failure.
 */
export class CircuitBreaker {
  private state: State = { kind: 'closed', failures: 0 };
  private readonly threshold: number;
  private readonly openMs: number;

  constructor(
    private readonly clock: Clock,
    options: CircuitOptions,
    private readonly onChange: (open: boolean, retryAt: number) => void,
  ) {
    this.threshold = options.failureThreshold ?? CIRCUIT_DEFAULTS.failureThreshold;
    this.openMs = options.openMs ?? CIRCUIT_DEFAULTS.openMs;
    if (!(this.threshold >= 1) || !(this.openMs >= 0)) {
      throw new TypeError('circuitBreaker: failureThreshold must be >= 1 and openMs >= 0, e.g. { failureThreshold: 5, openMs: 30000 }.');
    }
  }

  /** Undefined when a call may go, else when one may (epoch ms). Leaving the open state admits one trial call. */
  refusal(): number | undefined {
    if (this.state.kind === 'closed') return undefined;
    if (this.state.kind === 'half-open') return this.clock.now() + this.openMs;
    if (this.clock.now() < this.state.until) return this.state.until;
    this.state = { kind: 'half-open' };
    return undefined;
  }

  success(): void {
    if (this.state.kind !== 'closed') this.onChange(false, 0);
    this.state = { kind: 'closed', failures: 0 };
  }

  failure(): void {
    if (this.state.kind === 'open') return;
    const failures = this.state.kind === 'closed' ? this.state.failures + 1 : this.threshold;
    if (failures < this.threshold) {
      this.state = { kind: 'closed', failures };
      return;
    }
    const until = this.clock.now() + this.openMs;
    this.state = { kind: 'open', until };
    this.onChange(true, until);
  }
}
