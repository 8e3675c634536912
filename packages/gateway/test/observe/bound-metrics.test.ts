import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BoundCounter, BoundHistogram } from '../../src/observe/bound-metrics.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Values on, between, below and above the bounds, for two label sets. */
const OBSERVED: [string, number][] = [
  ['companies', 0],
  ['companies', 0.0005],
  ['companies', 0.00051],
  ['companies', 0.0123],
  ['companies', 10],
  ['companies', 12.5],
  ['orders "eu"\\', 0.3],
  ['orders "eu"\\', 0.000_01],
];

describe('bound metrics scrape exactly as prom-client', () => {
  it('a histogram: the same buckets, sums and counts, label for label, in the text format and as JSON', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const bound = new BoundHistogram('x_seconds', 'Latency "of" x\\y', ['service'], BUCKETS, ours);
    const reference = new Histogram({ name: 'x_seconds', help: 'Latency "of" x\\y', labelNames: ['service'], buckets: BUCKETS, registers: [theirs] });
    const children = new Map<string, { observe(v: number): void }>();
    for (const [service, value] of OBSERVED) {
      if (!children.has(service)) children.set(service, bound.labels(service));
      children.get(service)?.observe(value);
      reference.labels(service).observe(value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // prom-client's JSON also carries its exemplar slots (null here: exemplars are off); nothing else differs.
    const withoutExemplars = (metrics: Awaited<ReturnType<Registry['getMetricsAsJSON']>>) =>
      metrics.map((metric) => ({ ...metric, values: metric.values.map((value) => {
        const { exemplar: _, ...rest } = value as typeof value & { exemplar?: unknown };
        return rest;
      }) }));
    expect(await ours.getMetricsAsJSON()).toEqual(withoutExemplars(await theirs.getMetricsAsJSON()));
    expect(await ours.metrics()).toContain('x_seconds_bucket{le="0.0005",service="companies"} 2');
  });

  it('a counter with several labels, incremented by one and by more', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const bound = new BoundCounter('y_total', 'Requests', ['service', 'route', 'status'], ours);
    const reference = new Counter({ name: 'y_total', help: 'Requests', labelNames: ['service', 'route', 'status'], registers: [theirs] });
    for (const [labels, by] of [[['a', 'GET /x/*', '200'], 1], [['a', 'GET /x/*', '200'], 1], [['b', 'POST /y', '502'], 3]] as const) {
      bound.labels(...labels).inc(by);
      reference.labels(...labels).inc(by);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.metrics()).toContain('y_total{service="a",route="GET /x/*",status="200"} 2');
  });

  it('the same label values give the same child; a wrong count of values and a non-number are refused', () => {
    const registry = new Registry();
    const histogram = new BoundHistogram('z_seconds', 'z', ['service'], BUCKETS, registry);
    expect(histogram.labels('a')).toBe(histogram.labels('a'));
    expect(histogram.labels('a')).not.toBe(histogram.labels('b'));
    expect(() => histogram.labels('a', 'b')).toThrow(/1 label values, got 2/);
    expect(() => histogram.labels('a').observe(Number.NaN)).toThrow(TypeError);
    expect(() => new BoundCounter('z_seconds', 'again', [], registry)).toThrow(/already been registered/);
  });

  it('reset zeroes every child, and a child kept by its caller counts on afterwards', async () => {
    const registry = new Registry();
    const counter = new BoundCounter('r_total', 'r', ['service'], registry);
    const histogram = new BoundHistogram('r_seconds', 'r', ['service'], BUCKETS, registry);
    const kept = counter.labels('a');
    kept.inc(5);
    histogram.labels('a').observe(0.2);
    registry.resetMetrics();
    const zeroed = await registry.metrics();
    expect(zeroed).toContain('r_total{service="a"} 0');
    expect(zeroed).toContain('r_seconds_count{service="a"} 0');
    expect(zeroed).toContain('r_seconds_bucket{le="0.25",service="a"} 0');
    kept.inc();
    expect(await registry.metrics()).toContain('r_total{service="a"} 1');
  });
});
