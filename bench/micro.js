// `npm run bench:micro`: operations per second of each part a request may pay for, in this one process
// so the numbers do not depend on TLS or the proxy path (issue 15's micro-benchmarks):
//   - API-key verification on a cache hit (KeyVerifier, embedded store behind it);
//   - JWT access-token verification, cached and uncached, and token issuance (ES256);
//   - rate-limit decisions, in process and in Redis (PORTCULLIS_BENCH_REDIS_URL, default
//     redis://127.0.0.1:6379; skipped if it does not answer), one at a time and 64 in flight;
//   - RFC 9421 signature verifications (hmac-sha256, ed25519), with @portcullis/protocol, and the
//     replay check's nonce claim (in process);
//   - an access record queued and stored in its batch on the embedded store, per CPU-second of every thread;
//   - startup to ready: `portcullis start` on the embedded store until /readyz answers 200.
// A synchronous answer is not awaited (the data plane does not await it either). Results also go to
// bench/results/micro.json. See docs/performance.md for the figures and how they were taken.
import { spawn } from 'node:child_process';
import { createSecretKey, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'undici';
import { createLogger } from '../packages/gateway/dist/index.js';
import { createConsumer } from '../packages/gateway/dist/credentials/consumers.js';
import { createClient } from '../packages/gateway/dist/credentials/clients.js';
import { createApiKey } from '../packages/gateway/dist/credentials/issue-key.js';
import { issueAccessToken } from '../packages/gateway/dist/credentials/issue-token.js';
import { SigningKeys } from '../packages/gateway/dist/credentials/signing-keys.js';
import { TokenDenyList } from '../packages/gateway/dist/credentials/token-deny-list.js';
import { KeyVerifier } from '../packages/gateway/dist/credentials/verify-key.js';
import { AccessRecordQueue } from '../packages/gateway/dist/observe/access-record-queue.js';
import { insertAccessRecords } from '../packages/gateway/dist/observe/access-records.js';
import { createMetrics } from '../packages/gateway/dist/observe/metrics.js';
import { TokenVerifier } from '../packages/gateway/dist/credentials/verify-token.js';
import { Keyring } from '../packages/gateway/dist/crypto/keyring.js';
import { createInProcessChangeBus } from '../packages/gateway/dist/state/change-bus.js';
import { createMemoryNonceStore } from '../packages/gateway/dist/state/nonce-store.js';
import { createMemoryRateLimitStore, createRedisRateLimitStore } from '../packages/gateway/dist/state/rate-limit-store.js';
import { connectRedis } from '../packages/gateway/dist/state/redis.js';
import { openEmbeddedDatabase } from '../packages/gateway/dist/store/embedded.js';
import { migrate } from '../packages/gateway/dist/store/migrate.js';
import { signRequest, verifyRequestSignature } from '../packages/protocol/dist/index.js';
import { freePort } from './lib/free-port.js';

const SECONDS = Number(process.env.BENCH_MICRO_SECONDS ?? 2);
const benchDir = dirname(fileURLToPath(import.meta.url));

/**
 * Runs `op` with `inFlight` concurrent callers for SECONDS; returns completed operations per second. A
 * result that is not a promise is taken as is, so a synchronous path is measured without a tick.
 */
async function rate(op, inFlight = 1) {
  let done = 0;
  let deadline = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      for (let i = 0; i < 64; i++) {
        const result = op(done);
        if (result && typeof result.then === 'function') await result;
        done++;
      }
    }
  };
  // Warm-up (JIT, caches): 2,000 operations or half a second, whichever ends first.
  const warm = performance.now() + 500;
  for (let i = 0; i < 2_000 && performance.now() < warm; i++) {
    const result = op(i);
    if (result && typeof result.then === 'function') await result;
  }
  const started = performance.now();
  deadline = started + SECONDS * 1000;
  await Promise.all(Array.from({ length: inFlight }, worker));
  return done / ((performance.now() - started) / 1000);
}

const results = [];
function report(name, perSecond, target) {
  results.push({ name, perSecond: Math.round(perSecond), ...(target ? { target, met: perSecond >= target } : {}) });
  const goal = target ? `  (target >= ${target.toLocaleString('en-US')}/s: ${perSecond >= target ? 'met' : 'missed'})` : '';
  console.log(`${name.padEnd(46)} ${Math.round(perSecond).toLocaleString('en-US').padStart(12)} /s${goal}`);
}

// Credentials on the embedded store, as the gateway keeps them.
const db = await openEmbeddedDatabase({});
await migrate(db);
const bus = createInProcessChangeBus();
const clock = () => Date.now();
const deps = { db, bus, clock, policy: { maxAge: 90 * 86_400_000, warnAge: 30 * 86_400_000 } };
const consumer = await createConsumer(deps, 'bench', 'bench');
const apiKeys = [];
for (let i = 0; i < 100; i++) apiKeys.push((await createApiKey(deps, 'bench', consumer.id, { scopes: ['a'], allowedIps: [], allowedOrigins: [] })).value);
const keyVerifier = new KeyVerifier({ db, bus, clock, policy: deps.policy });
const keyOk = (result) => {
  if (!result.ok) throw new Error('key verification failed');
};
for (const value of apiKeys) keyOk(await keyVerifier.verify(value)); // every key cached first: hits only
report('key verification, cache hit', await rate((i) => {
  const result = keyVerifier.verify(apiKeys[i % apiKeys.length]);
  return result instanceof Promise ? result.then(keyOk) : keyOk(result);
}), 500_000);
keyVerifier.close();

// Access records: each queued as the request thread does it (observe/access-record-queue.ts), and stored
// on the embedded store's thread in the gateway's batches (5,000 records: half the default queueSize), on
// disk as the gateway keeps them (one deflated row per batch: observe/access-record-batch-repository.ts). What
// counts is CPU, of every thread (the bench pins the gateway to one core): records per CPU-second, over
// 60,000 records after a warm-up.
{
  const recordsDir = mkdtempSync(join(tmpdir(), 'portcullis-micro-records-'));
  const store = await openEmbeddedDatabase({ dataDir: recordsDir });
  await migrate(store);
  const BATCH = 5_000;
  const queue = new AccessRecordQueue({ write: (batch) => insertAccessRecords(store, batch), maxRecords: 2 * BATCH, intervalMs: 3_600_000, metrics: createMetrics(), logger: createLogger({ level: 'silent' }) });
  const record = (i) => ({
    requestId: randomUUID(), consumerId: `con_${i % 7}`, credentialId: `key_${i % 7}`, credentialKind: 'api-key', service: 'companies',
    route: 'GET /companies/*', method: 'GET', path: `/companies/${i % 100}`, status: 200, latencyMs: (i % 300) / 100 + 0.5, upstreamMs: 0.31, clientIp: '127.0.0.1', problem: null,
  });
  let stored = 0;
  const run = async (count) => {
    const started = process.cpuUsage();
    for (let i = 0; i < count; i++) {
      if (!queue.add(record(i), Date.now())) throw new Error('the access-record queue dropped a record');
      if ((i + 1) % BATCH === 0) await queue.flush(); // the batch went out at its 5,000th record: wait for it
    }
    await queue.flush();
    const used = process.cpuUsage(started);
    stored += count;
    return count / ((used.user + used.system) / 1e6);
  };
  await run(10_000);
  report('access record queued and stored, per CPU-second', await run(60_000));
  const [{ n }] = await store.query('SELECT (SELECT count(*) FROM access_records) + (SELECT coalesce(sum(count), 0) FROM access_record_batches) AS n');
  if (Number(n) !== stored) throw new Error(`${stored} access records queued, ${n} stored`);
  await store.close();
  rmSync(recordsDir, { recursive: true, force: true });
}

const ISSUER = 'https://api.bench.invalid';
const keyring = await Keyring.open(db, [{ id: 'bench', key: randomBytes(32) }]);
const { client } = await createClient(deps, 'bench', consumer.id, { scopes: ['companies:read'], allowedIps: [], allowedOrigins: [] });
const tokenKeys = await SigningKeys.open({ db, keyring, bus, clock, algorithm: 'ES256' });
await tokenKeys.rotate(0);
const denyList = await TokenDenyList.open(db, bus, clock);
const tokens = new TokenVerifier({ db, bus, clock, keys: tokenKeys, denyList, issuer: () => ISSUER, audience: () => ISSUER });
const tokenRequest = { issuer: ISSUER, audience: ISSUER, lifetimeMs: 3_600_000, clientId: client.id, subject: client.id, scopes: ['companies:read'] };
const { accessToken } = await issueAccessToken(tokenKeys, { ...tokenRequest, now: Date.now() });
const tokenOk = (result) => {
  if (!result.ok) throw new Error(`token verification failed: ${result.reason}`);
};
const verifyToken = () => {
  const result = tokens.verify(accessToken);
  return result instanceof Promise ? result.then(tokenOk) : tokenOk(result);
};
report('JWT verification (ES256), cached', await rate(verifyToken), 300_000);
report('JWT verification (ES256), uncached', await rate(() => {
  tokens.forgetVerified();
  return verifyToken();
}));
report('token issuance (ES256)', await rate(() => issueAccessToken(tokenKeys, { ...tokenRequest, now: Date.now() })));
tokens.close();
tokenKeys.close();
denyList.close();
await db.close();

const limit = { points: 1_000_000_000, durationMs: 60_000 };
const keys = Array.from({ length: 1000 }, (_, i) => `consumer-${i}`);

const memory = createMemoryRateLimitStore().limiter({ name: 'micro', ...limit });
report('rate limit, in process, 1 in flight', await rate((i) => memory.consume(keys[i % keys.length])), 1_000_000);
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
// Each signed request claims its nonce once; every claim here is a new nonce (the accepted path), so
// the store grows by each one as it would over a signature window.
const nonces = createMemoryNonceStore();
let claimed = 0;
report('signature nonce claim, in process', await rate(() => nonces.claim(`psk_bench:nonce-${claimed++}`, 300_000)));

/** `portcullis start` on the embedded store in `dir`, until /readyz answers 200: milliseconds from spawn. */
async function startupToReady(dir) {
  const [port, adminPort] = [await freePort(), await freePort()];
  const config = join(dir, 'portcullis.yaml');
  writeFileSync(config, JSON.stringify({ listen: { host: '127.0.0.1', port }, admin: { host: '127.0.0.1', port: adminPort }, dataDir: join(dir, 'data'), log: { level: 'warn' } }));
  const started = performance.now();
  const child = spawn(process.execPath, [join(benchDir, '..', 'packages', 'gateway', 'bin', 'portcullis.js'), 'start', '--config', config], { stdio: 'ignore' });
  try {
    for (;;) {
      try {
        const ca = readFileSync(join(dir, 'data', 'tls', 'ca.pem'));
        const probe = new Client(`https://127.0.0.1:${port}`, { connect: { ca } });
        const { statusCode, body } = await probe.request({ path: '/readyz', method: 'GET' });
        await body.arrayBuffer();
        await probe.close();
        if (statusCode === 200) return performance.now() - started;
      } catch {
        // not listening, or no certificate yet
      }
      if (child.exitCode !== null) throw new Error(`portcullis start exited with ${child.exitCode}`);
      if (performance.now() - started > 30_000) throw new Error('not ready within 30 s');
      await new Promise((done) => setTimeout(done, 5));
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((done) => child.once('exit', done));
  }
}
const startDir = mkdtempSync(join(tmpdir(), 'portcullis-startup-'));
try {
  const first = await startupToReady(startDir);
  const again = await startupToReady(startDir);
  results.push({ name: 'startup to ready, embedded store, first start (ms)', ms: Math.round(first) }, { name: 'startup to ready, embedded store, restart (ms)', ms: Math.round(again), target: 1000, met: again <= 1000 });
  console.log(`${'startup to ready, first start (new data dir)'.padEnd(46)} ${Math.round(first).toLocaleString('en-US').padStart(12)} ms`);
  console.log(`${'startup to ready, restart'.padEnd(46)} ${Math.round(again).toLocaleString('en-US').padStart(12)} ms  (target <= 1,000 ms: ${again <= 1000 ? 'met' : 'missed'})`);
} finally {
  rmSync(startDir, { recursive: true, force: true });
}

mkdirSync(join(benchDir, 'results'), { recursive: true });
writeFileSync(join(benchDir, 'results', 'micro.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, seconds: SECONDS, results }, null, 2)}\n`);
console.log('\nResults written to bench/results/micro.json');
process.exit(0);
