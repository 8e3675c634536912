import { randomBytes } from 'node:crypto';
import { afterAll } from 'vitest';
import { createRedisNonceStore } from '../../src/state/nonce-store.js';
import { createRedisRateLimitStore } from '../../src/state/rate-limit-store.js';
import { connectRedis } from '../../src/state/redis.js';
import type { RedisConnection } from '../../src/state/redis.js';
import { captureLogs } from '../helpers/log-capture.js';
import { describeStateStores } from './state.case.js';
import { clearPrefix, REDIS_URL } from '../helpers/redis.js';

const prefix = `portcullis-test-${randomBytes(6).toString('hex')}:`;
let redis: RedisConnection | undefined;
const connection = async () => (redis ??= await connectRedis(REDIS_URL ?? '', prefix, captureLogs().logger));
const ready = REDIS_URL ? await connection() : undefined;

afterAll(async () => {
  if (!redis) return;
  await clearPrefix(redis, prefix);
  await redis.close();
});

describeStateStores(
  'redis',
  () => ({
    rateLimits: createRedisRateLimitStore(ready as RedisConnection, 1, { onInsurance: (limit, error) => { throw new Error(`insurance used for ${limit}: ${String(error)}`); } }),
    nonces: createRedisNonceStore(ready as RedisConnection),
  }),
  { skip: !REDIS_URL },
);
