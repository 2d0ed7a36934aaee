// telemetry: a histogram for the request path. prom-client's Histogram validates and hashes the
// label object on every observe, children included: microseconds per call on a path whose
// budget is a few. This one keeps a series per label set, found once by a key the caller builds,
// and observes with a bucket scan and three additions. It registers in a prom-client Registry
// like any metric (same `get()` shape as prom-client's Histogram), so /metrics is unchanged.
import type { Registry } from 'prom-client';

export interface FastHistogramOptions {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly buckets: readonly number[];
  readonly registers: readonly Registry[];
}

/** One label set's buckets. */
export class HistogramSeries {
  /** Non-cumulative counts per bucket; the last slot is above every bound (+Inf). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

type MetricValue = { labels: Record<string, string | number>; value: number; metricName: string };

export class FastHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly labelNames: readonly string[];
  readonly #bounds: readonly number[];
  #series = new Map<string, HistogramSeries>();

  constructor(options: FastHistogramOptions) {
    this.name = options.name;
    this.help = options.help;
    this.labelNames = options.labelNames;
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
    for (const registry of options.registers) registry.registerMetric(this as never);
  }

  /** The series of a label set by its key (the caller joins the label values), if it exists. */
  find(key: string): HistogramSeries | undefined {
    return this.#series.get(key);
  }

  /** Creates the series of a label set; `key` must identify `labels`. */
  add(key: string, labels: Record<string, string>): HistogramSeries {
    const series = new HistogramSeries(labels, this.#bounds);
    this.#series.set(key, series);
    return series;
  }

  reset(): void {
    this.#series = new Map();
  }

  /** prom-client's metric shape: cumulative `_bucket` values with `le`, then `_sum` and `_count`. */
  get(): { name: string; help: string; type: string; values: MetricValue[]; aggregator: string } {
    const values: MetricValue[] = [];
    for (const series of this.#series.values()) {
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += series.counts[i] as number;
        values.push({ labels: { ...series.labels, le: bound }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...series.labels, le: '+Inf' }, value: series.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...series.labels }, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...series.labels }, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
