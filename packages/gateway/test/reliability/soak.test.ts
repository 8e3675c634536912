import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SOAK = fileURLToPath(new URL('../../../../bench/soak.js', import.meta.url));

/**
 * The CI-sized soak: `npm run soak` (bench/soak.js, ten minutes) cut to 15 s, with the same mix of API
 * keys, access tokens, signed requests and refusals against `portcullis start` at 80% of its measured
 * maximum rate. The full run's figures are in docs/performance.md.
 */
describe('drill: soak (CI-sized)', () => {
  it('15 s at 80% of the measured maximum: no 5xx, every answer as expected, pooled connections within bounds, no other descriptor or memory growth', { timeout: 90_000 }, async () => {
    const child = spawn(process.execPath, [SOAK], {
      env: { ...process.env, SOAK_DURATION: '15', SOAK_WARMUP: '3', SOAK_PROBE: '3', SOAK_CONNECTIONS: '8' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const summary = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Record<string, number | boolean | Record<string, number>>;
    expect(summary.gateway5xx, out).toBe(0);
    expect(summary.unexpectedStatus, out).toBe(0);
    expect(summary.clientErrors, out).toBe(0);
    expect(summary.requests as number).toBeGreaterThan(100);
    expect(Object.keys(summary.byStatus as Record<string, number>).sort()).toEqual(['200', '401', '403']);
    expect(summary.fdGrowth as number, out).toBeLessThanOrEqual(0);
    const pooled = summary.pooledSockets as Record<string, number>;
    expect(pooled.clientMax, out).toBeLessThanOrEqual(8);
    expect(pooled.upstreamMax, out).toBeLessThanOrEqual(8);
    expect(summary.rssGrowthPercent as number).toBeLessThan(10);
    expect(code).toBe(0);
  });
});
