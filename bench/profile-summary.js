// Summarises a profile written by `BENCH_PROFILE=<row ids>` (.cpuprofile) or `BENCH_HEAP_PROFILE=<row ids>`
// (.heapprofile) with `npm run bench`:
//   node bench/profile-summary.js bench/results/profiles/f-gateway-....cpuprofile [top=30] [filter regex]
// CPU: self time by function and by package/module, then inclusive time of the functions whose
// "name file" matches the filter (default: the gateway's own code), as shares of busy (non-idle) time.
// Heap: bytes allocated by function, and under the functions matching the filter.
import { readFileSync } from 'node:fs';

const [file, topArg, filterArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/profile-summary.js FILE.cpuprofile [top] [filter-regex]');
  process.exit(2);
}
const top = Number(topArg ?? 30);
const filter = new RegExp(filterArg ?? 'packages/gateway/');
const profile = JSON.parse(readFileSync(file, 'utf8'));

const shortUrl = (url) => url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, 'node_modules/').replace(/.*\/(packages|bench)\//, '$1/');
const label = (cf) => `${cf.functionName || '(anonymous)'}  ${shortUrl(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;

if (file.endsWith('.heapprofile')) {
  // Sampling heap profile: a tree of call frames with the bytes allocated directly in each.
  const bySelf = new Map();
  const inclusive = new Map();
  let total = 0;
  const walk = (node, stack) => {
    const key = label(node.callFrame);
    const here = [...stack, key];
    if (node.selfSize > 0) {
      total += node.selfSize;
      bySelf.set(key, (bySelf.get(key) ?? 0) + node.selfSize);
      for (const k of new Set(here)) inclusive.set(k, (inclusive.get(k) ?? 0) + node.selfSize);
    }
    for (const child of node.children ?? []) walk(child, here);
  };
  walk(profile.head, []);
  const share = (b) => `${((100 * b) / total).toFixed(1).padStart(5)}%  ${(b / 2 ** 20).toFixed(1).padStart(7)} MiB`;
  console.log(`${file}: ${(total / 2 ** 20).toFixed(1)} MiB allocated in the window (sampled estimate); divide by the row's loaded.requests for bytes per request`);
  console.log('\nAllocated directly by function');
  for (const [k, b] of [...bySelf].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`${share(b)}  ${k}`);
  console.log(`\nAllocated under functions matching ${filter}`);
  for (const [k, b] of [...inclusive].filter(([k]) => filter.test(k)).sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`${share(b)}  ${k}`);
  process.exit(0);
}

const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parents = new Map();
for (const n of profile.nodes) for (const child of n.children ?? []) parents.set(child, n.id);

const moduleOf = (cf) => {
  const url = shortUrl(cf.url);
  if (!url) return cf.functionName; // (garbage collector), (program), native writev, ...
  const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  return pkg ? pkg[1] : url;
};

const selfBy = new Map();
let total = 0;
let idle = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  const id = profile.samples[i];
  selfBy.set(id, (selfBy.get(id) ?? 0) + dt);
  if (nodes.get(id).callFrame.functionName === '(idle)') idle += dt;
}
const busy = total - idle;
const add = (map, key, t) => map.set(key, (map.get(key) ?? 0) + t);
const byFunction = new Map();
const byModule = new Map();
const inclusive = new Map();
for (const [id, t] of selfBy) {
  const cf = nodes.get(id).callFrame;
  if (cf.functionName === '(idle)') continue;
  add(byFunction, label(cf), t);
  add(byModule, moduleOf(cf), t);
  const seen = new Set();
  for (let at = id; at !== undefined; at = parents.get(at)) {
    const key = label(nodes.get(at).callFrame);
    if (!seen.has(key)) {
      seen.add(key);
      add(inclusive, key, t);
    }
  }
}
const pct = (t) => `${((100 * t) / busy).toFixed(1).padStart(5)}%`;
const print = (title, map, n, pick = () => true) => {
  console.log(`\n${title}`);
  for (const [key, t] of [...map].filter(([k]) => pick(k)).sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${pct(t)}  ${key}`);
};
console.log(`${file}: ${(total / 1e3).toFixed(0)} ms sampled, ${((100 * idle) / total).toFixed(1)}% idle; shares below are of busy time`);
print('Self time by function', byFunction, top);
print('Self time by module', byModule, top);
print(`Inclusive time, functions matching ${filter}`, inclusive, top, (k) => filter.test(k));
