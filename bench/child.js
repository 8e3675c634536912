// Runs one bench target in its own process. Protocol over the IPC channel:
//   parent -> { type: 'start', options }   child -> { type: 'ready', info } | { type: 'failed', message }
//   parent -> { type: 'usage' }            child -> { type: 'usage', cpuMicros }
//   parent -> { type: 'profile-start', kind }       child -> { type: 'profile-started' }
//   parent -> { type: 'profile-stop', kind, file }  child -> { type: 'profile-written', file }
//     kind 'cpu' writes a .cpuprofile, kind 'heap' a sampling .heapprofile (both open in Chrome DevTools)
//   parent -> { type: 'stop' }             child -> { type: 'stopped' }, then exits
// The child also exits if the parent goes away (the IPC channel closes), so it can never be orphaned.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const name = process.argv[2];
if (!process.send || !/^[a-z0-9-]+$/.test(name ?? '')) {
  console.error('usage: forked by bench/run.js with a target name');
  process.exit(2);
}

// CPU profile of a window (the loaded run only, not start-up), through the inspector protocol.
let inspector;
function post(method, params) {
  return new Promise((resolve, reject) => inspector.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
}
async function startProfile(kind) {
  inspector = new Session();
  inspector.connect();
  if (kind === 'heap') {
    // Every sampled allocation, including what the GC already collected: where the garbage comes from.
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  } else {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 250 });
    await post('Profiler.start');
  }
}
async function stopProfile(kind) {
  const { profile } = await post(kind === 'heap' ? 'HeapProfiler.stopSampling' : 'Profiler.stop');
  inspector.disconnect();
  return profile;
}

let handle;
let stopping = false;

async function stop(code) {
  if (stopping) return;
  stopping = true;
  const force = setTimeout(() => process.exit(code), 3_000);
  force.unref();
  try {
    await handle?.stop();
  } catch (error) {
    console.error(`[bench:${name}] stop failed:`, error);
  }
  if (process.connected) process.send({ type: 'stopped' }, () => process.exit(code));
  else process.exit(code);
}

process.on('message', async (message) => {
  if (message?.type === 'start') {
    try {
      const target = await import(`./targets/${name}.js`);
      handle = await target.start(message.options ?? {});
      process.send({ type: 'ready', info: handle.info ?? {} });
    } catch (error) {
      process.send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  } else if (message?.type === 'usage') {
    // CPU time so far (user + system, µs), so the parent can work out this process's cost per request.
    // A target served by another program (nginx) reports that program's CPU time instead.
    const { user, system } = process.cpuUsage();
    process.send({ type: 'usage', cpuMicros: handle?.cpuMicros ? handle.cpuMicros() : user + system });
  } else if (message?.type === 'profile-start') {
    try {
      await startProfile(message.kind);
      process.send({ type: 'profile-started' });
    } catch (error) {
      process.send({ type: 'profile-failed', message: String(error) });
    }
  } else if (message?.type === 'profile-stop') {
    try {
      const profile = await stopProfile(message.kind);
      writeFileSync(message.file, JSON.stringify(profile));
      process.send({ type: 'profile-written', file: message.file });
    } catch (error) {
      process.send({ type: 'profile-failed', message: String(error) });
    }
  } else if (message?.type === 'stop') {
    await stop(0);
  }
});
process.on('disconnect', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));
