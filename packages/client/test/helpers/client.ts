import { createClient } from '../../src/index.js';
import type { ClientOptions } from '../../src/index.js';
import { FakeClock } from './fake-clock.js';
import type { TestServer } from './tls-server.js';

/** A client for a local test server: its CA trusted, 127.0.0.1 allowed, a fake clock, fixed jitter. */
export function clientFor(server: TestServer, options: Partial<ClientOptions> = {}) {
  const clock = options.clock instanceof FakeClock ? options.clock : new FakeClock();
  const client = createClient({
    baseUrl: server.url,
    allowedHosts: ['127.0.0.1'],
    allowAddresses: ['127.0.0.1'],
    ca: server.ca,
    clock,
    random: () => 0.5,
    ...options,
  });
  return { client, clock };
}
