// The one timing loop of the micro-benchmarks (bench/verify-*.js): warm up, then count operations for
// `seconds`, awaiting each. Returns operations per second.
export async function measure(name, op, { seconds = 2, warmup = 2_000, batch = 200 } = {}) {
  for (let i = 0; i < warmup; i++) await op(i);
  let n = 0;
  const end = performance.now() + seconds * 1_000;
  const start = performance.now();
  while (performance.now() < end) {
    for (let i = 0; i < batch; i++) await op(n++);
  }
  return { name, perSecond: n / ((performance.now() - start) / 1_000) };
}
