import type { Metric, Registry } from 'prom-client';

/** One sample line as prom-client's registry formats it (`metricName{labels} value`). */
interface Sample {
  readonly metricName?: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/** What the registry reads of a metric at each scrape (prom-client's typings name the type as an enum; it is text). */
interface Scraped {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  readonly values: readonly Sample[];
}

/**
 * The metrics every data-plane request touches (its count and three latency histograms), with children
 * bound to their label values once. A prom-client child builds, validates and hashes a label object and
 * finds its bucket through number-keyed properties on every call: 0.5-0.8 µs each on the bench host,
 * four times a request. These keep plain numbers, and hand prom-client's registry the values its own
 * Counter and Histogram would at scrape time, so /metrics reads exactly as before (docs/performance.md).
 */
abstract class BoundMetric<Child extends { zero(): void }> {
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum' as const;
  protected readonly children = new Map<string, { readonly labels: Readonly<Record<string, string>>; readonly child: Child }>();

  constructor(
    public name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    // The registry reads name, type, get() and reset(): the same surface as prom-client's own metrics.
    registry.registerMetric(this as unknown as Metric);
  }

  protected abstract create(): Child;

  /** The child for these label values, in labelNames order; look it up once and keep it. */
  labels(...values: string[]): Child {
    if (values.length !== this.labelNames.length) throw new Error(`${this.name} takes ${this.labelNames.length} label values, got ${values.length}`);
    const key = JSON.stringify(values);
    let entry = this.children.get(key);
    if (!entry) {
      entry = { labels: Object.fromEntries(this.labelNames.map((name, i) => [name, values[i] as string])), child: this.create() };
      this.children.set(key, entry);
    }
    return entry.child;
  }

  /** Zeroes every child rather than dropping it: callers keep their children, which must still count. */
  reset(): void {
    for (const { child } of this.children.values()) child.zero();
  }

  protected abstract samples(): Sample[];

  get(): Promise<Scraped> {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.samples() });
  }
}

class CounterChild {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
  zero(): void {
    this.value = 0;
  }
}

export class BoundCounter extends BoundMetric<CounterChild> {
  readonly type = 'counter';

  protected create(): CounterChild {
    return new CounterChild();
  }

  protected samples(): Sample[] {
    return [...this.children.values()].map(({ labels, child }) => ({ labels, value: child.value }));
  }
}

class HistogramChild {
  /** Observations per bucket, not cumulative: the last slot is above every bound (+Inf only). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    (this.counts[i] as number)++;
    this.sum += value;
    this.count++;
  }

  zero(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

export class BoundHistogram extends BoundMetric<HistogramChild> {
  readonly type = 'histogram';

  constructor(name: string, help: string, labelNames: readonly string[], private readonly buckets: readonly number[], registry: Registry) {
    super(name, help, labelNames, registry);
  }

  protected create(): HistogramChild {
    return new HistogramChild(this.buckets);
  }

  protected samples(): Sample[] {
    const values: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const { labels, child } of this.children.values()) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += child.counts[i] as number;
        values.push({ metricName: bucket, labels: { le, ...labels }, value: cumulative });
      });
      values.push(
        { metricName: bucket, labels: { le: '+Inf', ...labels }, value: child.count },
        { metricName: `${this.name}_sum`, labels, value: child.sum },
        { metricName: `${this.name}_count`, labels, value: child.count },
      );
    }
    return values;
  }
}
