import { describe, expect, it } from 'vitest';
import { ClientAuthThrottle } from '../../src/oauth/throttle.js';

/** 51 failures: one past the per-address budget of 50 a minute. */
async function failFrom(throttle: ClientAuthThrottle, addresses: (i: number) => string): Promise<void> {
  for (let i = 0; i < 51; i++) await throttle.failed(undefined, addresses(i));
}

describe('ClientAuthThrottle, per address', () => {
  it('counts an IPv6 client by its /64: fresh addresses from one network share one budget', async () => {
    const throttle = new ClientAuthThrottle();
    await failFrom(throttle, (i) => `2001:db8:1:2::${(i + 1).toString(16)}`);
    expect(await throttle.blockedFor(undefined, '2001:db8:1:2:ffff::9')).toBeGreaterThan(0);
    expect(await throttle.blockedFor(undefined, '2001:db8:1:3::1')).toBe(0); // the next /64 is someone else
  });

  it('counts IPv4 addresses one by one', async () => {
    const throttle = new ClientAuthThrottle();
    await failFrom(throttle, () => '192.0.2.7');
    expect(await throttle.blockedFor(undefined, '192.0.2.7')).toBeGreaterThan(0);
    expect(await throttle.blockedFor(undefined, '192.0.2.8')).toBe(0);
  });
});
