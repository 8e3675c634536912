/** What the client reports for monitoring. Every event also increments its counter. */
export interface ClientEvents {
  /** The server refused the credential (401), or a token request was refused. */
  auth_failure: { host: string; status: number; strategy: string };
  /** A token was obtained or refreshed. `expiresAt` is epoch ms. */
  token_refreshed: { strategy: string; expiresAt: number; first: boolean };
  /** A token request failed; the next one waits until `retryAt` (epoch ms). */
  token_refresh_failed: { strategy: string; code: string; retryAt: number };
  /** The server answered 429 (or its RateLimit header says the quota is spent) and the host is paused. */
  rate_limited: { host: string; retryAt: number; status: number };
  /** An attempt failed and another follows after `delayMs`. */
  retry: { host: string; method: string; attempt: number; delayMs: number; reason: string };
  circuit_open: { host: string; retryAt: number };
  circuit_closed: { host: string };
}
export type ClientEventName = keyof ClientEvents;
export const CLIENT_EVENT_NAMES: readonly ClientEventName[] = [
  'auth_failure',
  'token_refreshed',
  'token_refresh_failed',
  'rate_limited',
  'retry',
  'circuit_open',
  'circuit_closed',
];

export type ClientEventListeners = { [E in ClientEventName]?: (event: ClientEvents[E]) => void };

/** A small typed emitter: a listener that throws is isolated, so monitoring cannot break a call. */
export class EventHub {
  private readonly listeners = new Map<ClientEventName, Set<(event: never) => void>>();
  readonly counters: Record<ClientEventName, number> = Object.fromEntries(CLIENT_EVENT_NAMES.map((n) => [n, 0])) as Record<
    ClientEventName,
    number
  >;

  constructor(
    initial: ClientEventListeners = {},
    private readonly onEmit: (name: ClientEventName, event: object) => void = () => {},
  ) {
    for (const name of CLIENT_EVENT_NAMES) {
      const listener = initial[name];
      if (listener) this.on(name, listener as (event: ClientEvents[typeof name]) => void);
    }
  }

  on<E extends ClientEventName>(name: E, listener: (event: ClientEvents[E]) => void): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener as (event: never) => void);
    return () => set.delete(listener as (event: never) => void);
  }

  emit<E extends ClientEventName>(name: E, event: ClientEvents[E]): void {
    this.counters[name]++;
    this.onEmit(name, event);
    for (const listener of this.listeners.get(name) ?? []) {
      try {
        (listener as (event: ClientEvents[E]) => void)(event);
      } catch {
        // A monitoring hook must not fail the call it observes.
      }
    }
  }
}
