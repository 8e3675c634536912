// `npm run bench:client`: the SDK's own cost per call, against a bare undici request to the same
// local HTTPS server, in one run. The server runs in its own process (bench/child.js, target
// https-upstream); both clients run here, one after the other in alternating rounds, over one
// keep-alive TLS connection each (sequential) and then 16 calls in flight (concurrent).
// See docs/performance.md ("Client SDK overhead").
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { auth, createClient } from '../packages/client/dist/index.js';
import { BENCH_PATH, COMPANY } from './lib/company.js';
import { start as devCertificates } from './targets/dev-certs.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_CLIENT_ROUNDS ?? 5);
const CALLS = Number(process.env.BENCH_CLIENT_CALLS ?? 2000);
const IN_FLIGHT = 16;
const API_KEY = 'bench-api-key-not-a-secret-0123456789';

function startServer(options) {
  const child = fork(join(benchDir, 'child.js'), ['https-upstream'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.on('message', (message) => {
      if (message?.type === 'ready') resolve({ child, url: message.info.url });
      else if (message?.type === 'failed') reject(new Error(message.message));
    });
    child.send({ type: 'start', options });
  });
}

/**
 * Per call over `calls` calls, `inFlight` at a time: wall-clock µs, and this process's CPU µs (user +
 * system). The server runs in another process, so the CPU figure is the client's own work, and it is
 * far less disturbed by other load on the machine than the wall clock.
 */
async function measure(call, calls, inFlight) {
  let next = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < calls) await call();
    }),
  );
  const used = process.cpuUsage(cpu);
  return { wall: ((performance.now() - started) * 1000) / calls, cpu: (used.user + used.system) / calls };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'portcullis-bench-client-'));
  const certs = (await devCertificates({ dataDir })).info;
  const ca = readFileSync(certs.caFile, 'utf8');
  const server = await startServer({ certFile: certs.certFile, keyFile: certs.keyFile });
  const url = `${server.url}${BENCH_PATH}`;

  // Bare undici: validated TLS with the same CA, the same header, the body parsed as JSON.
  const agent = new Agent({ connect: { ca, rejectUnauthorized: true }, connections: IN_FLIGHT });
  const bare = async () => {
    const res = await request(url, { dispatcher: agent, headers: { accept: 'application/json', authorization: `Bearer ${API_KEY}` } });
    const body = await res.body.json();
    if (res.statusCode !== 200 || body.id !== COMPANY.id) throw new Error(`bare undici: unexpected ${res.statusCode}`);
  };
  // The SDK with its defaults: egress policy, retries, breaker, throttle, redaction, events, a no-op tracer.
  const sdk = createClient({ baseUrl: server.url, allowedHosts: ['127.0.0.1'], allowAddresses: ['127.0.0.1'], ca, auth: auth.apiKey({ key: API_KEY }), maxConnections: IN_FLIGHT });
  const viaSdk = async () => {
    const res = await sdk.get('/companies/{id}', { params: { id: COMPANY.id } });
    if (res.status !== 200 || res.data.id !== COMPANY.id) throw new Error(`sdk: unexpected ${res.status}`);
  };

  for (const call of [bare, viaSdk]) await measure(call, 500, IN_FLIGHT); // warm-up: JIT, connections
  const rows = {};
  for (const [mode, inFlight] of [['sequential', 1], ['concurrent', IN_FLIGHT]]) {
    const samples = { bare: [], sdk: [] };
    for (let round = 0; round < ROUNDS; round++) {
      samples.bare.push(await measure(bare, CALLS, inFlight));
      samples.sdk.push(await measure(viaSdk, CALLS, inFlight));
    }
    const figure = (kind) => {
      const b = median(samples.bare.map((m) => m[kind]));
      const s = median(samples.sdk.map((m) => m[kind]));
      return { bare: +b.toFixed(1), sdk: +s.toFixed(1), overhead: +(s - b).toFixed(1), ratio: +(s / b).toFixed(3) };
    };
    rows[mode] = { inFlight, wallMicros: figure('wall'), cpuMicros: figure('cpu') };
  }

  console.log(`Client SDK overhead: ${ROUNDS} rounds x ${CALLS} calls, median per round, ${cpus().length} CPUs, Node ${process.version}`);
  console.log('mode         in flight   measure      bare undici µs/call   SDK µs/call   overhead µs   ratio');
  for (const [mode, r] of Object.entries(rows)) {
    for (const [label, f] of [['wall clock', r.wallMicros], ['client CPU', r.cpuMicros]]) {
      console.log(`${mode.padEnd(12)} ${String(r.inFlight).padStart(9)}   ${label.padEnd(10)}   ${String(f.bare).padStart(19)}   ${String(f.sdk).padStart(11)}   ${String(f.overhead).padStart(11)}   ${f.ratio}`);
    }
  }
  mkdirSync(join(benchDir, 'results'), { recursive: true });
  writeFileSync(join(benchDir, 'results', 'client-overhead.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, rounds: ROUNDS, calls: CALLS, rows }, null, 2)}\n`);

  await sdk.close();
  await agent.close();
  server.child.send({ type: 'stop' });
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
