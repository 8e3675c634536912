// `npm run bench`: throughput and latency of each row in bench/rows.js, all over TLS on loopback.
// Every server runs in its own child process (bench/child.js); the load generator runs here.
// See docs/performance.md for the method and how to read the numbers.
import { execFile, execFileSync, fork } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createSecretKey } from 'node:crypto';
import autocannon from 'autocannon';
import { signRequest } from '../packages/protocol/dist/index.js';
import { Client } from 'undici';
import { BENCH_PATH, COMPANY } from './lib/company.js';
import { enforceTlsVerification } from './lib/verified-tls.js';
import { goals, rows as allRows } from './rows.js';
import { NGINX } from './targets/nginx.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(benchDir, 'results');

function numberFromEnv(name, fallback, { min = 0 } = {}) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number >= ${min}, got "${raw}"`);
  return value;
}

const settings = {
  /** Seconds of the loaded run, and its connection count. */
  duration: numberFromEnv('BENCH_DURATION', 8, { min: 1 }),
  connections: Math.round(numberFromEnv('BENCH_CONNECTIONS', 32, { min: 1 })),
  /** Seconds of loaded warm-up before measuring (JIT, connection pools, TLS sessions). */
  warmup: numberFromEnv('BENCH_WARMUP', 2),
  /** Seconds of the unloaded run: one keep-alive TLS connection, one request at a time. */
  unloadedDuration: numberFromEnv('BENCH_UNLOADED_DURATION', 5, { min: 1 }),
  /** Times every row is measured, in turn; the report gives the median (BENCH_ROUNDS=3 on a noisy machine). */
  rounds: Math.round(numberFromEnv('BENCH_ROUNDS', 1, { min: 1 })),
  /** Requests on that connection before its samples count. */
  unloadedWarmupRequests: 200,
  /** Comma-separated row ids to run, e.g. BENCH_ROWS=a,f (default: every row). */
  only: process.env.BENCH_ROWS ? process.env.BENCH_ROWS.split(',').map((s) => s.trim()) : undefined,
  /** Row ids whose target is CPU-profiled during the loaded run, e.g. BENCH_PROFILE=f (bench/results/profiles/). */
  profile: process.env.BENCH_PROFILE ? process.env.BENCH_PROFILE.split(',').map((s) => s.trim()) : [],
  /** Row ids whose target gets a sampling heap profile (allocations, collected or not) during the loaded run. */
  heapProfile: process.env.BENCH_HEAP_PROFILE ? process.env.BENCH_HEAP_PROFILE.split(',').map((s) => s.trim()) : [],
  /** The loaded run's generator: wrk when installed (it costs the client core far less), else autocannon. */
  client: process.env.BENCH_CLIENT || (onPath('wrk') ? 'wrk' : 'autocannon'),
  /**
   * Pinned (Linux, 2+ CPUs, taskset present, BENCH_PIN not 0): the load generator on CPU 0, every target
   * and upstream on CPU 1. Unpinned, the scheduler shares the cores out differently from run to run.
   */
  pin: process.env.BENCH_PIN !== '0' && platform() === 'linux' && cpus().length >= 2 && onPath('taskset'),
  /** Signed rows under wrk: signatures made before each run, per second of it (each nonce is used once). */
  signaturesPerSecond: numberFromEnv('BENCH_SIGNATURES_PER_SECOND', 15_000, { min: 100 }),
  /** Redis for row e2 (skipped when not reachable). */
  redisUrl: process.env.PORTCULLIS_BENCH_REDIS_URL || 'redis://127.0.0.1:6379',
};
if (!['wrk', 'autocannon'].includes(settings.client)) throw new Error(`BENCH_CLIENT must be wrk or autocannon, got "${settings.client}"`);

/** Is `command` an executable on PATH (or an absolute path)? */
function onPath(command) {
  if (command.startsWith('/')) return existsSync(command);
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, command)));
}

// ---------------------------------------------------------------------------------------------
// Child processes

const children = new Set();
/** The run's data directory (dev CA, gateway state): removed however the run ends. */
let dataDir;

function killAll() {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
function cleanUp() {
  killAll();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
}
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    console.error(`\nbench: ${signal}, stopping the targets`);
    process.exit(130); // the 'exit' handler kills the children
  });
}

/** Forks bench/child.js for `target`, starts it with `options` and resolves with what it reports. */
function startTarget(target, options) {
  // Pinned: `taskset -c 1 node child.js`, so every thread of the target (and what it spawns) stays on CPU 1.
  // BENCH_NODE_FLAGS: V8/Node flags for every target child (e.g. GC settings), for A/B runs.
  const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const pinned = settings.pin
    ? { execPath: 'taskset', execArgv: ['-c', '1', process.execPath, ...flags] }
    : { execArgv: flags };
  const child = fork(join(benchDir, 'child.js'), [target], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], ...pinned });
  children.add(child);
  // Targets log to stdout (the gateway at level warn): kept and summarised, not interleaved with the table.
  const log = { lines: 0, kinds: new Map() };
  child.log = log;
  createInterface({ input: child.stdout }).on('line', (line) => {
    log.lines++;
    let kind = line.slice(0, 120);
    try {
      const entry = JSON.parse(line);
      kind = [entry.level, entry.msg, entry.problem, entry.cause?.message].filter(Boolean).join(' / ');
    } catch {
      // not JSON: keep the raw start of the line
    }
    log.kinds.set(kind, (log.kinds.get(kind) ?? 0) + 1);
  });
  child.once('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${target}: not ready within 30 s`)), 30_000);
    function fail(error) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    }
    child.on('message', (message) => {
      if (message?.type === 'ready') {
        clearTimeout(timer);
        resolve({ target, child, info: message.info });
      } else if (message?.type === 'failed') fail(new Error(`${target} failed to start:\n${message.message}`));
    });
    child.once('exit', (code, signal) => fail(new Error(`${target} exited before it was ready (code ${code}, signal ${signal})`)));
    child.send({ type: 'start', options });
  });
}

/** Asks a target to stop; kills it if it has not exited after a few seconds. */
function stopTarget(handle) {
  if (!handle) return Promise.resolve();
  const { child } = handle;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.send({ type: 'stop' });
    else child.kill('SIGTERM');
  });
}

/** Sends `message` to a target and resolves with its first reply of type `replyType`. */
function ask(handle, message, replyType, timeoutMs = 5_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${handle.target}: no ${replyType} reply within ${timeoutMs} ms`)), timeoutMs);
    function done(error, reply) {
      clearTimeout(timer);
      handle.child.off('message', onMessage);
      if (error) reject(error);
      else resolve(reply);
    }
    function onMessage(reply) {
      if (reply?.type === replyType) done(undefined, reply);
      else if (reply?.type === 'profile-failed') done(new Error(`${handle.target}: profiling failed: ${reply.message}`));
    }
    handle.child.on('message', onMessage);
    handle.child.send(message);
  });
}

/** The child's CPU time so far, in µs (user + system). */
async function cpuOf(handle) {
  return handle ? (await ask(handle, { type: 'usage' }, 'usage')).cpuMicros : 0;
}

/** Busy CPU time of the whole machine in µs, from /proc/stat (Linux; undefined elsewhere). */
function machineBusyMicros() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = fields;
    return (user + nice + system + irq + softirq + steal) * 10_000; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** CPU time of this process (the load generator), the target and its upstream, in µs. */
async function cpuSnapshot(target, upstream) {
  const [t, u] = await Promise.all([cpuOf(target), cpuOf(upstream)]);
  const own = process.cpuUsage();
  return { client: own.user + own.system, target: t, upstream: u, machine: machineBusyMicros(), at: performance.now() };
}

// ---------------------------------------------------------------------------------------------
// Measurements

function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function summarize(samples) {
  const sorted = Float64Array.from(samples).sort();
  const mean = sorted.reduce((sum, v) => sum + v, 0) / (sorted.length || 1);
  return { count: sorted.length, mean, p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99: percentile(sorted, 0.99), max: sorted.at(-1) };
}

/** One verified request: the target must answer 200 with the expected JSON, over a validated TLS connection. */
async function checkTarget(url, ca, headersFor) {
  const client = new Client(url, { connect: { ca, rejectUnauthorized: true } });
  try {
    const { statusCode, body } = await client.request({ path: BENCH_PATH, method: 'GET', headers: headersFor() });
    const text = await body.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (statusCode !== 200 || !isDeepStrictEqual(json, COMPANY)) {
      throw new Error(`GET ${url}${BENCH_PATH} answered ${statusCode} ${text.slice(0, 200)}; expected 200 ${JSON.stringify(COMPANY)}`);
    }
  } finally {
    await client.close();
  }
}

/** autocannon at `connections` for `duration` s; latencies also kept unrounded (autocannon's are whole ms). */
async function loadedRun(url, ca, headersFor, connections, duration, keepSamples) {
  const tls = enforceTlsVerification(ca);
  const samples = [];
  try {
    // Fixed headers, or (signed rows) fresh ones per request: a signature's nonce is accepted once.
    const perRequest = headersFor.perRequest ? { requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, ...headersFor() } }) }] } : {};
    const instance = autocannon({ url: `${url}${BENCH_PATH}`, connections, duration, headers: headersFor(), ...perRequest, tlsOptions: { ca }, timeout: 10 });
    if (keepSamples) instance.on('response', (_client, _status, _bytes, ms) => samples.push(ms));
    const result = await instance;
    const failures = result.errors + result.timeouts + result.non2xx + result.mismatches;
    if (failures > 0 || result['2xx'] === 0) {
      throw new Error(
        `${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx, ${result['2xx']} 2xx ` +
          `(TLS sockets ${tls.stats.sockets}, verified ${tls.stats.authorized}, failed ${tls.stats.failed})`,
      );
    }
    if (tls.stats.authorized === 0 || tls.stats.authorized !== tls.stats.sockets) {
      throw new Error(`${url}: only ${tls.stats.authorized} of ${tls.stats.sockets} TLS connections were verified`);
    }
    const exact = keepSamples ? summarize(samples) : undefined;
    return {
      rps: result.requests.average,
      requests: result['2xx'],
      seconds: result.duration,
      p50: exact?.p50,
      p99: exact?.p99,
      mean: exact?.mean,
      autocannonLatencyMs: { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.mean },
      tlsConnectionsVerified: tls.stats.authorized,
    };
  } finally {
    tls.restore();
  }
}

/**
 * wrk at `connections` for `duration` s (one thread: pinned, it has one core). wrk does not validate
 * certificates, so each target was checked once with a validating client first (checkTarget). Signed
 * rows get one pre-made signature per request (bench/lib/wrk-report.lua).
 */
async function wrkRun(url, headersFor, connections, duration, signedFile) {
  const fixed = headersFor.perRequest ? headersFor.fixed : headersFor();
  const args = ['-t1', `-c${connections}`, `-d${duration}s`, '--timeout', '10s', '-s', join(benchDir, 'lib', 'wrk-report.lua')];
  for (const [name, value] of Object.entries(fixed)) args.push('-H', `${name}: ${value}`);
  args.push(`${url}${BENCH_PATH}`);
  const stdout = await new Promise((resolve, reject) => {
    execFile('wrk', args, { env: { ...process.env, BENCH_WRK_SIGNED: signedFile ?? '' }, maxBuffer: 1 << 20 }, (error, out, err) =>
      error ? reject(new Error(`wrk failed: ${err || error.message}`)) : resolve(out),
    );
  });
  const line = stdout.split('\n').find((l) => l.startsWith('BENCH_JSON '));
  if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
  const r = JSON.parse(line.slice('BENCH_JSON '.length));
  const failures = Object.values(r.errors).reduce((sum, n) => sum + n, 0);
  const ranOut = signedFile !== undefined && r.requests + connections >= r.signedAvailable;
  if (failures > 0 || r.requests === 0) {
    const why = ranOut ? '; it ran out of pre-made signatures (a replay is refused): raise BENCH_SIGNATURES_PER_SECOND' : '';
    throw new Error(`${url}: wrk saw ${JSON.stringify(r.errors)} errors in ${r.requests} requests (status = 4xx/5xx answers)${why}`);
  }
  const seconds = r.durationMicros / 1e6;
  return {
    rps: r.requests / seconds,
    requests: r.requests,
    seconds,
    p50: r.p50Micros / 1000,
    p99: r.p99Micros / 1000,
    mean: r.meanMicros / 1000,
    generator: 'wrk',
    ...(ranOut ? { note: 'ran out of pre-made signatures and stopped early, so req/s is understated: raise BENCH_SIGNATURES_PER_SECOND' } : {}),
  };
}

/**
 * Signed rows under wrk: one signature per request of a `duration`-second run, made now, before the
 * CPU snapshots, so signing is not counted as the client's cost of the run. Undefined for other rows.
 */
function signaturesFor(headersFor, duration) {
  if (settings.client !== 'wrk' || !headersFor.perRequest) return undefined;
  const file = join(dataDir, `signed-${duration}.tsv`);
  const lines = [];
  for (let i = Math.ceil(settings.signaturesPerSecond * duration); i > 0; i--) {
    const h = headersFor();
    lines.push(`${h['signature-input']}\t${h.signature}`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** The loaded run with the configured generator. */
async function loadTest(url, ca, headersFor, connections, duration, keepSamples, signedFile) {
  if (settings.client !== 'wrk') return loadedRun(url, ca, headersFor, connections, duration, keepSamples);
  try {
    return await wrkRun(url, headersFor, connections, duration, signedFile);
  } finally {
    if (signedFile) rmSync(signedFile, { force: true });
  }
}

/** One keep-alive TLS connection (undici), one request at a time, timed with performance.now(). */
async function unloadedRun(url, ca, headersFor, seconds) {
  let connects = 0;
  const client = new Client(url, { pipelining: 1, connect: { ca, rejectUnauthorized: true } });
  client.on('connect', () => connects++);
  const samples = [];
  try {
    const once = async () => {
      const started = performance.now();
      const { statusCode, body } = await client.request({ path: BENCH_PATH, method: 'GET', headers: headersFor() });
      await body.arrayBuffer();
      const ms = performance.now() - started;
      if (statusCode !== 200) throw new Error(`${url}: unloaded run got status ${statusCode}`);
      return ms;
    };
    for (let i = 0; i < settings.unloadedWarmupRequests; i++) await once();
    const began = performance.now();
    const deadline = began + seconds * 1000;
    while (performance.now() < deadline) samples.push(await once());
    const elapsed = (performance.now() - began) / 1000;
    if (connects !== 1) throw new Error(`${url}: the unloaded run used ${connects} connections, expected one keep-alive connection`);
    return { ...summarize(samples), rps: samples.length / elapsed, requests: samples.length + settings.unloadedWarmupRequests };
  } finally {
    await client.close();
  }
}

/**
 * The request headers of a row: the target's fixed ones, plus (when it returns `signing`) an RFC 9421
 * signature made per request with @portcullis/protocol, as the SDK would.
 */
function headersFor(url, info) {
  const fixed = info.headers ?? {};
  if (!info.signing) return () => fixed;
  const key = { keyId: info.signing.keyId, algorithm: 'hmac-sha256', key: createSecretKey(Buffer.from(info.signing.secret, 'base64url')) };
  const target = { method: 'GET', url: `${url}${BENCH_PATH}`, headers: fixed };
  const sign = () => ({ ...fixed, ...signRequest(target, key) });
  sign.perRequest = true;
  sign.fixed = fixed;
  return sign;
}

/** Stops the target's profile and writes it to bench/results/profiles/; returns the file's relative path. */
async function writeProfile(target, row, kind, suffix) {
  const dir = join(resultsDir, 'profiles');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${row.id}-${row.target}${suffix}-${new Date().toISOString().replaceAll(':', '-')}.${kind}profile`);
  await ask(target, { type: 'profile-stop', kind, file }, 'profile-written', 30_000);
  return relative(process.cwd(), file);
}

async function measureRow(row, shared) {
  let upstream;
  let target;
  try {
    if (row.upstream) upstream = await startTarget(row.upstream, {});
    // Row e2: the limit in Redis, under a key prefix of this run's own.
    const redis = row.requires === 'redis' ? { extra: { redis: { url: settings.redisUrl, keyPrefix: `portcullis-bench-${process.pid}-${Date.now()}:` } } } : {};
    target = await startTarget(row.target, { ...shared, ...row.options, ...redis, upstreamUrl: upstream?.info.url });
    const { url } = target.info;
    const ca = target.info.caFile ? readFileSync(target.info.caFile) : shared.ca;
    const headers = headersFor(url, target.info);
    await checkTarget(url, ca, headers);
    if (settings.warmup > 0) await loadTest(url, ca, headers, settings.connections, settings.warmup, false, signaturesFor(headers, settings.warmup));
    const signed = signaturesFor(headers, settings.duration);
    const kind = settings.profile.includes(row.id) ? 'cpu' : settings.heapProfile.includes(row.id) ? 'heap' : undefined;
    if (kind) await ask(target, { type: 'profile-start', kind }, 'profile-started');
    const before = await cpuSnapshot(target, upstream);
    const loaded = await loadTest(url, ca, headers, settings.connections, settings.duration, true, signed);
    const after = await cpuSnapshot(target, upstream);
    if (kind) loaded.profile = await writeProfile(target, row, kind, '');
    // CPU per request during the loaded run: on a machine whose cores the client, the target and the
    // upstream share, this is what decides throughput, and it does not depend on who won the scheduler.
    const used = (k) => after[k] - before[k];
    loaded.cpuMicrosPerRequest = { client: used('client') / loaded.requests, target: used('target') / loaded.requests, upstream: used('upstream') / loaded.requests };
    // Anything else busy on the machine meanwhile (other jobs, the kernel's share of softirq): in cores.
    if (before.machine !== undefined && after.machine !== undefined) {
      const ours = used('client') + used('target') + used('upstream');
      loaded.otherCpuCores = Math.max(0, used('machine') - ours) / ((after.at - before.at) * 1000);
    }
    if (kind) await ask(target, { type: 'profile-start', kind }, 'profile-started');
    const beforeUnloaded = await cpuSnapshot(target, upstream);
    const unloaded = await unloadedRun(url, ca, headers, settings.unloadedDuration);
    const afterUnloaded = await cpuSnapshot(target, upstream);
    if (kind) unloaded.profile = await writeProfile(target, row, kind, '-1conn');
    // One request at a time: no batching across requests, so this figure moves much less with load.
    unloaded.cpuMicrosPerRequest = {
      target: (afterUnloaded.target - beforeUnloaded.target) / unloaded.requests,
      upstream: (afterUnloaded.upstream - beforeUnloaded.upstream) / unloaded.requests,
    };
    await Promise.all([stopTarget(target), stopTarget(upstream)]);
    const targetLog = Object.fromEntries(target.child.log.kinds);
    return { id: row.id, label: row.label, description: row.description, loaded, unloaded, targetLog };
  } finally {
    await Promise.all([stopTarget(target), stopTarget(upstream)]);
  }
}

/** The median of each numeric field across rounds (field by field), plus the rounds themselves. */
function combineRounds(list) {
  if (list.length === 1) return list[0];
  const median = (values) => {
    const sorted = [...values].sort((x, y) => x - y);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const merge = (objects) => {
    const first = objects[0];
    if (typeof first === 'number') return median(objects);
    if (first === null || typeof first !== 'object') return first;
    return Object.fromEntries(Object.keys(first).map((key) => [key, merge(objects.map((o) => o?.[key]))]));
  };
  const targetLog = {};
  for (const r of list) for (const [kind, count] of Object.entries(r.targetLog)) targetLog[kind] = (targetLog[kind] ?? 0) + count;
  return { ...merge(list), targetLog, rounds: list.map(({ loaded, unloaded }) => ({ loaded, unloaded })) };
}

// ---------------------------------------------------------------------------------------------
// Report

const fmt = {
  rps: (v) => Math.round(v).toLocaleString('en-US'),
  ms: (v) => (v === undefined || Number.isNaN(v) ? '-' : v.toFixed(3)),
  ratio: (v) => (Number.isFinite(v) ? `${v.toFixed(2)} x` : '-'),
};

function table(headers, lines) {
  const widths = headers.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const render = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [render(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(render)].join('\n');
}

function report(results, outcome) {
  const base = results.find((r) => r.id === 'a');
  const b = results.find((r) => r.id === 'b');
  const n = results.find((r) => r.id === 'n');
  const c = settings.connections;
  const lines = results.map((r) => [
    `(${r.id})`,
    r.label,
    fmt.rps(r.loaded.rps),
    fmt.ms(r.loaded.p50),
    fmt.ms(r.loaded.p99),
    fmt.ms(r.unloaded.p50),
    base ? fmt.ratio(r.loaded.rps / base.loaded.rps) : '-',
    base ? fmt.ratio(r.unloaded.p50 / base.unloaded.p50) : '-',
    base ? `${r.unloaded.p50 - base.unloaded.p50 >= 0 ? '+' : ''}${(r.unloaded.p50 - base.unloaded.p50).toFixed(3)}` : '-',
    b ? fmt.ratio(r.loaded.rps / b.loaded.rps) : '-',
    n ? fmt.ratio(r.loaded.rps / n.loaded.rps) : '-',
    n ? `${r.unloaded.p50 - n.unloaded.p50 >= 0 ? '+' : ''}${(r.unloaded.p50 - n.unloaded.p50).toFixed(3)}` : '-',
  ]);
  const headers = ['row', 'target', `req/s @${c}`, `p50 ms @${c}`, `p99 ms @${c}`, 'p50 ms @1', 'req/s vs a', 'p50@1 vs a', 'p50@1 - a ms', 'vs b', 'vs n', 'p50@1 - n ms'];
  console.log(`\n${table(headers, lines)}\n`);
  const cpu = results.map((r) => {
    const { client, target, upstream } = r.loaded.cpuMicrosPerRequest;
    const other = r.loaded.otherCpuCores === undefined ? '-' : r.loaded.otherCpuCores.toFixed(2);
    const seq = r.unloaded.cpuMicrosPerRequest?.target;
    // Every proxy row's upstream runs the same code, so its CPU per request is a yardstick of how fast
    // the core was during that row: the host's speed drifts by up to 2x between rows, this ratio does not.
    const yardstick = upstream ? `${(target / upstream).toFixed(2)} x` : '-';
    return [`(${r.id})`, r.label, client.toFixed(1), target.toFixed(1), upstream ? upstream.toFixed(1) : '-', (client + target + upstream).toFixed(1), yardstick, other, seq === undefined ? '-' : seq.toFixed(1)];
  });
  console.log(`CPU time per request during the loaded run, µs (all processes share ${cpus().length} CPUs):\n`);
  console.log(`${table(['row', 'target', 'client', 'target', 'upstream', 'total', 'target / upstream', 'other load, cores', 'target @1 conn'], cpu)}\n`);
  const noisy = results.filter((r) => r.loaded.otherCpuCores > 0.25);
  if (noisy.length > 0) {
    console.log(`  Note: other work used CPU during ${noisy.map((r) => `(${r.id})`).join(' ')}; req/s there is understated. Re-run on a quieter machine.\n`);
  }
  for (const o of outcome) {
    const mark = o.skipped ? 'SKIP' : o.met ? 'MET ' : 'MISS';
    console.log(`  [${mark}] ${o.text}${o.skipped ? ' (rows not run)' : `: ${o.actual}`}`);
    if (o.corrected) console.log(`         drift-corrected (CPU per request against the same upstream): ${o.corrected.actual}, ${o.corrected.met ? 'met' : 'missed'}`);
  }
  console.log('');
}

function judge(results) {
  const byId = Object.fromEntries(results.map((r) => [r.id, r]));
  return goals.map((goal) => {
    if (!goal.needs.every((id) => byId[id])) return { id: goal.id, text: goal.text, skipped: true };
    return { id: goal.id, text: goal.text, ...goal.check(byId) };
  });
}

// ---------------------------------------------------------------------------------------------

/** Can a TCP connection be opened to the Redis of row e2? */
function reachable(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(1_000, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.connect(Number(port || 6379), hostname);
  });
}

/** Rows whose `requires` is missing here are left out, each with a message saying why. */
async function available(rows) {
  const have = { redis: await reachable(settings.redisUrl), nginx: onPath(NGINX) };
  const why = { redis: `Redis is not reachable at ${settings.redisUrl} (PORTCULLIS_BENCH_REDIS_URL)`, nginx: `nginx is not installed at ${NGINX} (BENCH_NGINX)` };
  return rows.filter((row) => {
    if (!row.requires || have[row.requires]) return true;
    console.log(`  skipping (${row.id}) ${row.label}: ${why[row.requires]}`);
    return false;
  });
}

/** Pinned runs put this process (the load generator, and wrk which it starts) on CPU 0, every thread. */
function pinSelf() {
  if (settings.pin) execFileSync('taskset', ['-a', '-pc', '0', String(process.pid)], { stdio: 'ignore' });
}

async function main() {
  pinSelf();
  // Optional rows (reference points, not part of the product comparison) run only when BENCH_ROWS names them.
  const chosen = settings.only ? allRows.filter((r) => settings.only.includes(r.id)) : allRows.filter((r) => !r.optional);
  const rows = await available(chosen);
  if (rows.length === 0) throw new Error(`BENCH_ROWS=${process.env.BENCH_ROWS} selects no row; rows are ${allRows.map((r) => r.id).join(', ')}`);
  const started = Date.now();
  dataDir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  try {
    console.log(
      `Portcullis bench: ${rows.length} row${rows.length === 1 ? '' : 's'}, ${settings.rounds > 1 ? `${settings.rounds} rounds, ` : ''}${settings.connections} connections x ${settings.duration} s after ${settings.warmup} s warm-up, ` +
        `then 1 connection x ${settings.unloadedDuration} s; ${cpus().length} CPUs, Node ${process.version}`,
    );
    console.log(
      settings.pin
        ? `  pinned: load generator (${settings.client}) on CPU 0, targets and upstreams on CPU 1 (BENCH_PIN=0 for unpinned)`
        : `  unpinned (${settings.client}): ratios between rows move from run to run; pin on Linux with 2+ CPUs and taskset`,
    );
    // The development CA and certificate (tls: auto), made once and served by every target.
    const certs = await startTarget('dev-certs', { dataDir });
    await stopTarget(certs);
    const shared = { dataDir, certFile: certs.info.certFile, keyFile: certs.info.keyFile, caFile: certs.info.caFile };
    const ca = readFileSync(shared.caFile);

    // Rounds run every row in turn again, so slow drift on a shared machine hits every row alike.
    const measured = new Map(rows.map((row) => [row.id, []]));
    for (let round = 1; round <= settings.rounds; round++) {
      if (settings.rounds > 1) console.log(`  round ${round} of ${settings.rounds}`);
      for (const row of rows) {
        process.stdout.write(`  (${row.id}) ${row.label} ... `);
        const result = await measureRow(row, { ...shared, ca });
        measured.get(row.id).push(result);
        const other = result.loaded.otherCpuCores > 0.25 ? ` (other load ${result.loaded.otherCpuCores.toFixed(2)} cores)` : '';
        if (result.loaded.note) console.log(`      note: ${result.loaded.note}`);
        console.log(`${fmt.rps(result.loaded.rps)} req/s, p50 @1 conn ${fmt.ms(result.unloaded.p50)} ms${other}`);
        for (const [kind, count] of Object.entries(result.targetLog)) console.log(`      target logged ${count} x ${kind}`);
      }
    }
    const results = rows.map((row) => combineRounds(measured.get(row.id)));
    const outcome = judge(results);
    report(results, outcome);

    mkdirSync(resultsDir, { recursive: true });
    // A partial or profiled run must not pass for the reference figures.
    const partial = settings.only !== undefined || settings.profile.length > 0 || settings.heapProfile.length > 0;
    const file = join(resultsDir, partial ? 'latest-partial.json' : 'latest.json');
    const cpuList = cpus();
    const base = results.find((r) => r.id === 'a');
    const byId = Object.fromEntries(results.map((r) => [r.id, r]));
    writeFileSync(
      file,
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          wallSeconds: (Date.now() - started) / 1000,
          environment: {
            node: process.version,
            platform: `${platform()} ${release()}`,
            cpus: cpuList.length,
            cpuModel: cpuList[0]?.model,
            memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
            loadAverageAtEnd: loadavg(),
          },
          settings: { ...settings, shared: { tls: 'dev CA (tls: auto), validated by every client', path: BENCH_PATH } },
          units: {
            rps: 'wrk: 2xx responses / seconds run; autocannon: mean of per-second samples',
            'loaded.p50/p99': "ms: wrk's latency percentiles, or every response time autocannon measured (unrounded)",
            'loaded.autocannonLatencyMs': "autocannon's own histogram, whole ms",
            'loaded.cpuMicrosPerRequest': 'CPU time (user + system) of each process during the loaded run / 2xx responses',
            'loaded.otherCpuCores': 'machine busy time (/proc/stat) not spent by the bench processes during the loaded run, in cores',
            unloaded: 'ms, one keep-alive TLS connection, sequential undici requests, performance.now()',
          },
          rows: results.map((r) => ({
            ...r,
            vsA: base ? { rps: r.loaded.rps / base.loaded.rps, unloadedP50: r.unloaded.p50 / base.unloaded.p50, unloadedP50AddedMs: r.unloaded.p50 - base.unloaded.p50 } : undefined,
            vsB: byId.b ? { rps: r.loaded.rps / byId.b.loaded.rps } : undefined,
            vsN: byId.n ? { rps: r.loaded.rps / byId.n.loaded.rps, unloadedP50AddedMs: r.unloaded.p50 - byId.n.unloaded.p50 } : undefined,
          })),
          goals: outcome,
        },
        null,
        2,
      )}\n`,
    );
    console.log(`Results written to ${relative(process.cwd(), file)} (${Math.round((Date.now() - started) / 1000)} s).`);
  } finally {
    cleanUp();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error('\nbench failed:', error instanceof Error ? error.message : error);
    process.exit(1); // the 'exit' handler kills the children
  },
);
