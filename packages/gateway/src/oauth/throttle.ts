import { RateLimiterMemory } from 'rate-limiter-flexible';
import { limitKeyOfIp } from '../http/ip-ranges.js';

/**
 * Failed client authentication, counted per client id and per client address: guessing a secret or
 * spraying client ids is slowed to a crawl, while a client that authenticates never consumes a point.
 * An IPv6 address counts under its /64, as every IP-based limit does (`limitKeyOfIp`): counted one
 * by one, a single host could take a fresh budget from each of its 2^64 addresses.
 * In-process per instance (a shared store arrives with the rate-limit work).
 */
export class ClientAuthThrottle {
  private readonly byClient = new RateLimiterMemory({ keyPrefix: 'client', points: 10, duration: 60, blockDuration: 300 });
  private readonly byAddress = new RateLimiterMemory({ keyPrefix: 'ip', points: 50, duration: 60, blockDuration: 300 });

  /** Seconds to wait when either counter is exhausted, else 0. */
  async blockedFor(clientId: string | undefined, address: string): Promise<number> {
    const [client, ip] = await Promise.all([clientId ? this.byClient.get(clientId) : null, this.byAddress.get(limitKeyOfIp(address))]);
    let waitMs = 0;
    if (client && client.consumedPoints > 10) waitMs = Math.max(waitMs, client.msBeforeNext);
    if (ip && ip.consumedPoints > 50) waitMs = Math.max(waitMs, ip.msBeforeNext);
    return Math.ceil(waitMs / 1000);
  }

  async failed(clientId: string | undefined, address: string): Promise<void> {
    // A rejection only says the counter is past its limit: that is what blockedFor reads next time.
    const ignore = () => undefined;
    await Promise.all([clientId ? this.byClient.consume(clientId).catch(ignore) : undefined, this.byAddress.consume(limitKeyOfIp(address)).catch(ignore)]);
  }
}
