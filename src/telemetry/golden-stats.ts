// telemetry: golden metrics (requests/s, success rate, p50/p95/p99) over a sliding window, per
// direction and peer, for the admin dashboard. Kept apart from the Prometheus histograms because
// a dashboard wants recent quantiles, which cumulative histograms do not give without a TSDB.
// One-second buckets over a minute; latencies in log-spaced bins (~7% wide), so memory is fixed.
import type { Clock } from '../util/clock.js';

const SECONDS = 60;
/** Bins: 0.05 ms × 1.07^i up to ~10 minutes. */
const BIN_BASE_MS = 0.05;
const BIN_GROWTH = 1.07;
const BINS = 240;
const LOG_GROWTH = Math.log(BIN_GROWTH);

function binOf(ms: number): number {
  if (ms <= BIN_BASE_MS) return 0;
  return Math.min(BINS - 1, Math.floor(Math.log(ms / BIN_BASE_MS) / LOG_GROWTH) + 1);
}

function binUpperMs(bin: number): number {
  return BIN_BASE_MS * BIN_GROWTH ** bin;
}

interface Bucket {
  second: number;
  count: number;
  errors: number;
  bins: Uint32Array;
}

/** The golden signals of one series over a window. */
export interface GoldenSignals {
  readonly requestsPerSecond: number;
  /** Share of requests that succeeded (no error, status < 500); 1 when there were none. */
  readonly successRate: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
}

class Series {
  readonly #buckets: Bucket[] = Array.from({ length: SECONDS }, () => ({ second: -1, count: 0, errors: 0, bins: new Uint32Array(BINS) }));
  total = 0;
  totalErrors = 0;

  #bucket(second: number): Bucket {
    const bucket = this.#buckets[second % SECONDS] as Bucket;
    if (bucket.second !== second) {
      bucket.second = second;
      bucket.count = 0;
      bucket.errors = 0;
      bucket.bins.fill(0);
    }
    return bucket;
  }

  record(second: number, ms: number, ok: boolean): void {
    const bucket = this.#bucket(second);
    bucket.count++;
    this.total++;
    if (!ok) {
      bucket.errors++;
      this.totalErrors++;
    }
    const bin = binOf(ms);
    bucket.bins[bin] = (bucket.bins[bin] as number) + 1;
  }

  signals(nowSecond: number, windowSeconds: number): GoldenSignals {
    let count = 0;
    let errors = 0;
    const bins = new Uint32Array(BINS);
    for (const bucket of this.#buckets) {
      // The current, unfinished second is left out, so the rate does not dip at each tick.
      if (bucket.second < nowSecond - windowSeconds || bucket.second >= nowSecond) continue;
      count += bucket.count;
      errors += bucket.errors;
      for (let i = 0; i < BINS; i++) bins[i] = (bins[i] as number) + (bucket.bins[i] as number);
    }
    const quantile = (q: number) => {
      if (count === 0) return 0;
      let seen = 0;
      const rank = q * count;
      for (let i = 0; i < BINS; i++) {
        seen += bins[i] as number;
        if (seen >= rank) return binUpperMs(i);
      }
      return binUpperMs(BINS - 1);
    };
    return {
      requestsPerSecond: count / windowSeconds,
      successRate: count === 0 ? 1 : 1 - errors / count,
      p50Ms: quantile(0.5),
      p95Ms: quantile(0.95),
      p99Ms: quantile(0.99),
      requests: count,
    };
  }

  /** Requests per second for each of the last `seconds` complete seconds, oldest first. */
  history(nowSecond: number, seconds: number): number[] {
    const out: number[] = [];
    for (let s = nowSecond - seconds; s < nowSecond; s++) {
      const bucket = this.#buckets[((s % SECONDS) + SECONDS) % SECONDS] as Bucket;
      out.push(bucket.second === s ? bucket.count : 0);
    }
    return out;
  }
}

export class GoldenStats {
  readonly #series = new Map<string, Series>();

  constructor(private readonly clock: Clock) {}

  #now(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  /**
   * Records one request of a series (e.g. "outbound:payments", "inbound"). `nowMs` is the
   * clock's time when the caller has just read it (the request path reads the clock once).
   */
  record(key: string, ms: number, ok: boolean, nowMs?: number): void {
    let series = this.#series.get(key);
    if (!series) this.#series.set(key, (series = new Series()));
    series.record(nowMs === undefined ? this.#now() : Math.floor(nowMs / 1000), ms, ok);
  }

  signals(key: string, windowSeconds = 10): GoldenSignals {
    return (
      this.#series.get(key)?.signals(this.#now(), windowSeconds) ?? {
        requestsPerSecond: 0,
        successRate: 1,
        p50Ms: 0,
        p95Ms: 0,
        p99Ms: 0,
        requests: 0,
      }
    );
  }

  history(key: string, seconds = 60): number[] {
    return this.#series.get(key)?.history(this.#now(), Math.min(seconds, SECONDS - 1)) ?? new Array(Math.min(seconds, SECONDS - 1)).fill(0);
  }

  totals(key: string): { requests: number; errors: number } {
    const series = this.#series.get(key);
    return { requests: series?.total ?? 0, errors: series?.totalErrors ?? 0 };
  }

  keys(): string[] {
    return [...this.#series.keys()];
  }
}
