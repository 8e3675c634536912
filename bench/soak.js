// `npm run soak`: the gateway (`portcullis start`, its own process) under a steady mix of API keys,
// access tokens, signed requests and refusals at 80% of the rate it can sustain, measured first.
// Passes when no answer is a 5xx, the gateway's RSS grows less than 10% after warm-up, its pooled
// connections stay within the connection count and its other descriptors do not grow. Prints one JSON
// summary line last; exit 1 on failure.
// SOAK_DURATION (s, default 600), SOAK_WARMUP (s, default 60), SOAK_PROBE (s, max-rate probe, default 15),
// SOAK_CONNECTIONS (default 32), SOAK_DATABASE_URL (PostgreSQL instead of the embedded store),
// SOAK_GC (default 1: a full garbage collection in the gateway before each memory sample, through its
// inspector on a loopback port of its own; 0: sample wherever the collector happens to be).
// The short variant runs in the suite (test/reliability/soak.test.ts).
import { spawn } from 'node:child_process';
import { createSecretKey } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool, WebSocket } from 'undici';
import { signRequest } from '../packages/protocol/dist/index.js';

const env = (name, fallback) => (process.env[name] ? Number(process.env[name]) : fallback);
const settings = {
  duration: env('SOAK_DURATION', 600),
  warmup: env('SOAK_WARMUP', 60),
  probe: env('SOAK_PROBE', 15),
  connections: env('SOAK_CONNECTIONS', 32),
  gc: env('SOAK_GC', 1) === 1,
};
const BIN = fileURLToPath(new URL('../packages/gateway/bin/portcullis.js', import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function startUpstream() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{"id":1,"name":"Acme"}'));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }) };
}

async function startGateway(dir, upstreamUrl) {
  const config = join(dir, 'portcullis.yaml');
  writeFileSync(
    config,
    [
      'listen: { port: 0 }',
      'admin: { port: 0 }',
      'dataDir: ./data',
      // SOAK_DATABASE_URL: run on PostgreSQL (an empty database) instead of the embedded store.
      ...(process.env.SOAK_DATABASE_URL ? [`database: { url: "${process.env.SOAK_DATABASE_URL}" }`] : []),
      'log: { level: info, access: false }',
      'bruteForce: { ipFailures: 100000000, credentialFailures: 100000000, slowAfter: 100000000 }',
      'services:',
      '  - name: soak',
      `    upstream: ${upstreamUrl}`,
      '    connections: 64',
      '    routes:',
      '      - { match: "GET /things/*", scopes: [things:read] }',
      '      - { match: "GET /admin-only/*", scopes: [things:admin] }',
      '',
    ].join('\n'),
  );
  // The inspector (loopback, a free port) only lets the soak collect garbage before it reads memory.
  const inspect = settings.gc ? ['--inspect=127.0.0.1:0'] : [];
  const child = spawn(process.execPath, [...inspect, BIN, 'start', '--config', config], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  for (let i = 0; i < 600 && !/"adminUrl":"([^"]+)"/.test(out); i++) {
    if (child.exitCode !== null) throw new Error(`the gateway exited:\n${out}`);
    await sleep(100);
  }
  const url = out.match(/"url":"([^"]+)"/)?.[1];
  const adminUrl = out.match(/"adminUrl":"([^"]+)"/)?.[1];
  if (!url || !adminUrl) throw new Error(`the gateway did not start:\n${out}`);
  const inspector = settings.gc ? await connectInspector(out.match(/Debugger listening on (ws:\/\/\S+)/)?.[1]) : undefined;
  return { child, url, adminUrl, inspector, output: () => out };
}

/**
 * A Chrome DevTools Protocol session on the gateway's inspector. RSS read at a random point of V8's
 * collection cycle swings by a third on its own (old space fills with dead request objects until a
 * mark-compact), more than the 10% the soak looks for; read after a full collection, it shows what the
 * gateway keeps.
 */
async function connectInspector(url) {
  if (!url) throw new Error('the gateway did not print its inspector address');
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', () => reject(new Error('could not connect to the gateway inspector')), { once: true });
  });
  let nextId = 1;
  const waiting = new Map();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(event.data);
    waiting.get(message.id)?.(message);
    waiting.delete(message.id);
  });
  const call = (method) => new Promise((resolve) => {
    const id = nextId++;
    waiting.set(id, resolve);
    socket.send(JSON.stringify({ id, method }));
  });
  return {
    /** A full collection, then the heap's used size (bytes). */
    async collect() {
      await call('HeapProfiler.collectGarbage');
      const usage = await call('Runtime.getHeapUsage');
      return usage.result?.usedSize ?? 0;
    },
    close: () => socket.close(),
  };
}

/**
 * TCP sockets of the gateway's network namespace by inode, from /proc/<pid>/net/tcp{,6}: local and
 * remote port and whether it listens. Both ends of a loopback connection are listed; the gateway's own
 * descriptors pick out its ends.
 */
function tcpSockets(pid) {
  const byInode = new Map();
  for (const table of ['tcp', 'tcp6']) {
    let text;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue; // no IPv6 in this namespace
    }
    for (const line of text.split('\n').slice(1)) {
      const field = line.trim().split(/\s+/);
      if (field.length < 10) continue;
      const port = (address) => Number.parseInt(address.split(':')[1], 16);
      byInode.set(field[9], { localPort: port(field[1]), remotePort: port(field[2]), listening: field[3] === '0A' });
    }
  }
  return byInode;
}

/**
 * The gateway's resident memory (bytes) and open descriptors, from /proc. Two kinds are counted apart:
 * - files inside `storeDir`: the embedded PostgreSQL opens a relation's free-space and visibility map
 *   files once the table has grown enough to need them, a bounded one-off per relation, not a leak;
 * - pooled connections: the soak's own connections to the gateway (`clientSockets`) and the gateway's
 *   keep-alive pool to the upstream (`upstreamSockets`). Idle ones close after their keep-alive
 *   timeout and reopen at the next burst, so their number moves with the pacing; each must stay within
 *   the soak's connection count, which a leak (a socket never closed) would soon exceed.
 * Every other descriptor (listeners, pipes, event descriptors, other files) must not grow.
 */
function sample(pid, storeDir, ports) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1]) * 1024;
  const sockets = tcpSockets(pid);
  let fds = 0;
  let storeFiles = 0;
  let clientSockets = 0;
  let upstreamSockets = 0;
  const kinds = {};
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed between the listing and the read
    }
    const socket = sockets.get(target.match(/^socket:\[(\d+)\]$/)?.[1]);
    if (target.startsWith(storeDir)) storeFiles++;
    else if (socket && !socket.listening && socket.remotePort === ports.upstream) upstreamSockets++;
    else if (socket && !socket.listening && socket.localPort === ports.gateway) clientSockets++;
    else {
      fds++;
      const kind = target.replace(/:\[\d+\]$/, '');
      kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
  }
  return { rss, fds, storeFiles, clientSockets, upstreamSockets, kinds };
}

async function setUp(gateway, ca) {
  const admin = new Pool(gateway.adminUrl, { connect: { ca } });
  const token = readFileSync(join(gateway.dir, 'data', 'admin.token'), 'utf8').trim();
  const post = async (path, body) => {
    const res = await admin.request({ path, method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = await res.body.json();
    if (res.statusCode >= 300) throw new Error(`${path}: ${res.statusCode} ${JSON.stringify(json)}`);
    return json;
  };
  const consumer = await post('/admin/v1/consumers', { name: 'soak-co' });
  const { key } = await post('/admin/v1/keys', { consumerId: consumer.id, scopes: ['things:read'] });
  const client = await post('/admin/v1/clients', { consumerId: consumer.id, scopes: ['things:read'] });
  const secret = await post(`/admin/v1/consumers/${consumer.id}/signing-secrets`, {});
  await admin.close();
  const data = new Pool(gateway.url, { connect: { ca } });
  const basic = Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64');
  const res = await data.request({
    path: '/oauth/token', method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=things:read',
  });
  const { access_token: accessToken } = await res.body.json();
  await data.close();
  if (!accessToken) throw new Error('no access token');
  const signing = { keyId: secret.keyId, algorithm: 'hmac-sha256', key: createSecretKey(Buffer.from(secret.secret, 'base64url')) };
  return { key, accessToken, signing };
}

/** One request of the mix: 40% API key, 30% access token, 20% signed, 10% refused (bad key, missing scope). */
function nextRequest(i, creds, origin) {
  const path = `/things/${i % 1000}`;
  const pick = i % 10;
  if (pick < 4) return { path, headers: { 'x-api-key': creds.key }, expect: 200 };
  if (pick < 7) return { path, headers: { authorization: `Bearer ${creds.accessToken}` }, expect: 200 };
  if (pick < 9) {
    const headers = { 'x-api-key': creds.key };
    return { path, headers: { ...headers, ...signRequest({ method: 'GET', url: `${origin}${path}`, headers }, creds.signing) }, expect: 200 };
  }
  return pick === 9 && i % 20 === 9
    ? { path, headers: { 'x-api-key': 'pck_notarealkey_000000000000000000000000000000000000' }, expect: 401 }
    : { path: `/admin-only/${i % 1000}`, headers: { 'x-api-key': creds.key }, expect: 403 };
}

/**
 * Sends the mix: closed loop (each of `connections` workers sends as soon as its last answer came)
 * when `rate` is undefined, else paced at `rate` per second. Counts answers by status and errors.
 */
async function drive(pool, creds, origin, seconds, rate, onTick) {
  const counts = { total: 0, byStatus: {}, unexpected: 0, errors: 0, serverErrors: 0 };
  const end = performance.now() + seconds * 1000;
  let i = 0;
  let nextAt = performance.now();
  const interval = rate ? 1000 / rate : 0;
  const worker = async () => {
    while (performance.now() < end) {
      if (rate) {
        const wait = nextAt - performance.now();
        nextAt += interval;
        if (wait > 0) await sleep(wait);
      }
      const request = nextRequest(i++, creds, origin);
      try {
        const res = await pool.request({ path: request.path, method: 'GET', headers: request.headers });
        await res.body.dump();
        counts.byStatus[res.statusCode] = (counts.byStatus[res.statusCode] ?? 0) + 1;
        if (res.statusCode >= 500) counts.serverErrors++;
        if (res.statusCode !== request.expect) counts.unexpected++;
      } catch {
        counts.errors++;
      }
      counts.total++;
    }
  };
  const ticker = onTick ? setInterval(onTick, 5_000) : undefined;
  await Promise.all(Array.from({ length: settings.connections }, worker));
  clearInterval(ticker);
  return counts;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-soak-'));
  const upstream = await startUpstream();
  let gateway;
  try {
    gateway = { ...(await startGateway(dir, upstream.url)), dir };
    const ca = readFileSync(join(dir, 'data', 'tls', 'ca.pem'));
    const creds = await setUp(gateway, ca);
    const pool = new Pool(gateway.url, { connect: { ca }, connections: settings.connections, pipelining: 1 });
    const origin = new URL(gateway.url).origin;
    const ports = { gateway: Number(new URL(gateway.url).port), upstream: Number(new URL(upstream.url).port) };

    const probe = await drive(pool, creds, origin, settings.probe);
    const maxRate = probe.total / settings.probe;
    const rate = Math.max(1, Math.floor(maxRate * 0.8));
    const samples = [];
    const started = performance.now();
    let sampling = Promise.resolve();
    const tick = () => {
      sampling = sampling.then(async () => {
        const heapUsed = gateway.inspector ? await gateway.inspector.collect() : undefined;
        samples.push({ at: (performance.now() - started) / 1000, heapUsed, ...sample(gateway.child.pid, join(dir, 'data', 'db'), ports) });
      });
    };
    tick();
    const soak = await drive(pool, creds, origin, settings.duration, rate, tick);
    tick();
    await sampling;
    await pool.close();

    const afterWarmup = samples.filter((s) => s.at >= settings.warmup);
    const base = afterWarmup.slice(0, 3);
    const last = afterWarmup.slice(-3);
    const rssGrowth = median(last.map((s) => s.rss)) / median(base.map((s) => s.rss)) - 1;
    const fdGrowth = median(last.map((s) => s.fds)) - median(base.map((s) => s.fds));
    const summary = {
      durationSeconds: settings.duration,
      warmupSeconds: settings.warmup,
      connections: settings.connections,
      measuredMaxRate: Math.round(maxRate),
      targetRate: rate,
      achievedRate: Math.round(soak.total / settings.duration),
      requests: soak.total,
      byStatus: soak.byStatus,
      unexpectedStatus: soak.unexpected,
      clientErrors: soak.errors,
      gateway5xx: soak.serverErrors + probe.serverErrors,
      rssMiB: { afterWarmup: +(median(base.map((s) => s.rss)) / 2 ** 20).toFixed(1), end: +(median(last.map((s) => s.rss)) / 2 ** 20).toFixed(1) },
      rssGrowthPercent: +(rssGrowth * 100).toFixed(1),
      memorySampledAfterGc: settings.gc,
      ...(settings.gc ? { heapUsedMiB: { afterWarmup: +(median(base.map((s) => s.heapUsed)) / 2 ** 20).toFixed(1), end: +(median(last.map((s) => s.heapUsed)) / 2 ** 20).toFixed(1) } } : {}),
      fds: { afterWarmup: median(base.map((s) => s.fds)), end: median(last.map((s) => s.fds)) },
      fdGrowth,
      // What the descriptors are (socket, pipe, anon_inode:[eventfd], a file's path), so a growth names its kind.
      fdKinds: { afterWarmup: base.at(-1)?.kinds, end: last.at(-1)?.kinds },
      pooledSockets: {
        bound: settings.connections,
        clientMax: Math.max(...samples.map((s) => s.clientSockets)),
        upstreamMax: Math.max(...samples.map((s) => s.upstreamSockets)),
      },
      storeFiles: { afterWarmup: median(base.map((s) => s.storeFiles)), end: median(last.map((s) => s.storeFiles)) },
    };
    summary.pass = summary.gateway5xx === 0 && soak.unexpected === 0 && soak.errors === 0 && rssGrowth < 0.1 && fdGrowth <= 0 &&
      summary.pooledSockets.clientMax <= settings.connections && summary.pooledSockets.upstreamMax <= settings.connections;
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    process.exitCode = summary.pass ? 0 : 1;
  } finally {
    gateway?.inspector?.close();
    gateway?.child.kill('SIGTERM');
    if (gateway) await new Promise((resolve) => gateway.child.once('exit', resolve));
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
