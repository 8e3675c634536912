/**
 * Mutual exclusion around a refresh-token exchange, so that two callers never spend one rotating
 * refresh token (RFC 9700 §4.14.2: the second use looks like theft and revokes the whole family).
 */
export interface Lock {
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

/** The default: exclusion inside this process. Several processes sharing a token need `redisLock`. */
export function inProcessLock(): Lock {
  const tails = new Map<string, Promise<unknown>>();
  return {
    async withLock(key, fn) {
      const previous = tails.get(key) ?? Promise.resolve();
      const run = previous.then(fn, fn);
      const tail = run.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, tail);
      try {
        return await run;
      } finally {
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
  };
}
