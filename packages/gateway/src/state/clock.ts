/** Milliseconds since the epoch. Injected so expiry, grace periods and key age are testable without sleeping. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();
