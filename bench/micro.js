// `npm run bench:micro`: decisions per second of the parts traffic policies add to a request, each in
// this one process, so the numbers do not depend on TLS or the proxy path:
//   - rate-limit decisions, in process and in Redis (PORTCULLIS_BENCH_REDIS_URL, default
//     redis://127.0.0.1:6379; skipped if it does not answer), one at a time and 64 in flight;
//   - RFC 9421 signature verifications (hmac-sha256, ed25519), with @portcullis/protocol.
// See docs/performance.md for the figures and how they were taken.
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createLogger } from '../packages/gateway/dist/index.js';
import { createMemoryRateLimitStore, createRedisRateLimitStore } from '../packages/gateway/dist/state/rate-limit-store.js';
import { connectRedis } from '../packages/gateway/dist/state/redis.js';
import { signRequest, verifyRequestSignature } from '../packages/protocol/dist/index.js';

const SECONDS = Number(process.env.BENCH_MICRO_SECONDS ?? 2);

/** Runs `op` with `inFlight` concurrent callers for SECONDS; returns completed operations per second. */
async function rate(op, inFlight = 1) {
  let done = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      await op(done);
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return done / ((performance.now() - started) / 1000);
}

const results = [];
function report(name, perSecond) {
  results.push({ name, perSecond: Math.round(perSecond) });
  console.log(`${name.padEnd(46)} ${Math.round(perSecond).toLocaleString('en-US').padStart(12)} /s`);
}

const limit = { points: 1_000_000_000, durationMs: 60_000 };
const keys = Array.from({ length: 1000 }, (_, i) => `consumer-${i}`);

const memory = createMemoryRateLimitStore().limiter({ name: 'micro', ...limit });
report('rate limit, in process, 1 in flight', await rate((i) => memory.consume(keys[i % keys.length])));
report('rate limit, in process, 64 in flight', await rate((i) => memory.consume(keys[i % keys.length]), 64));

const redisUrl = process.env.PORTCULLIS_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `portcullis-bench-${randomBytes(4).toString('hex')}:`;
const redis = await connectRedis(redisUrl, prefix, createLogger({ level: 'silent' }));
if (await redis.ping()) {
  const insured = { onInsurance: () => { throw new Error('Redis failed during the bench'); } };
  const shared = createRedisRateLimitStore(redis, 1, insured).limiter({ name: 'micro', ...limit });
  report('rate limit, Redis, 1 in flight', await rate((i) => shared.consume(keys[i % keys.length])));
  report('rate limit, Redis, 64 in flight', await rate((i) => shared.consume(keys[i % keys.length]), 64));
  const stale = await redis.client.keys(`${prefix}*`);
  if (stale.length > 0) await redis.client.del(...stale);
} else {
  console.log(`rate limit, Redis: skipped (${redisUrl} does not answer)`);
}
await redis.close();

const request = { method: 'GET', url: 'https://api.example.com/companies/1', headers: { authorization: 'Bearer x' } };
const hmac = { keyId: 'psk_bench', algorithm: 'hmac-sha256', key: createSecretKey(randomBytes(32)) };
const pair = generateKeyPairSync('ed25519');
const options = { maxAgeSeconds: 300, requiredComponents: ['@method', '@target-uri', '@authority'] };
for (const [name, signing, verifying] of [
  ['hmac-sha256', hmac, hmac],
  ['ed25519', { keyId: 'psk_ed', algorithm: 'ed25519', key: pair.privateKey }, { keyId: 'psk_ed', algorithm: 'ed25519', key: pair.publicKey }],
]) {
  const signed = { ...request, headers: { ...request.headers, ...signRequest(request, signing) } };
  report(`signature verification, ${name}`, await rate(async () => {
    const result = await verifyRequestSignature(signed, () => verifying, options);
    if (!result.ok) throw new Error(`verification failed: ${result.reason}`);
  }));
  report(`signing, ${name}`, await rate(async () => signRequest(request, signing)));
}
