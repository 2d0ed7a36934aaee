// resilience: the retry budget (Finagle's RetryBudget, Linkerd's ServiceProfile retryBudget).
//
// Retries are allowed while, over the last `ttl`, retries <= ratio x requests + minRetriesPerSecond
// x ttl. So a failing upstream sees at most (1 + ratio) times its normal load plus a small floor,
// never a retry storm, however many attempts each call may make.
import type { Clock } from '../util/clock.js';

export interface RetryBudgetOptions {
  readonly ratio: number;
  readonly minRetriesPerSecond: number;
  readonly ttlMs: number;
}

/** Buckets the ttl window is cut into; finer is more exact, 10 is what Finagle's bucketing uses. */
const BUCKETS = 10;

/** A sliding-window count over `windowMs`, in fixed buckets. */
class WindowedCounter {
  readonly #counts = new Float64Array(BUCKETS);
  readonly #bucketMs: number;
  #sum = 0;
  #bucket = 0;
  #bucketStart: number;

  constructor(
    windowMs: number,
    private readonly clock: Clock,
  ) {
    this.#bucketMs = windowMs / BUCKETS;
    this.#bucketStart = clock.now();
  }

  #advance(now: number): void {
    let steps = Math.floor((now - this.#bucketStart) / this.#bucketMs);
    if (steps <= 0) return;
    this.#bucketStart += steps * this.#bucketMs;
    if (steps > BUCKETS) steps = BUCKETS;
    for (let i = 0; i < steps; i++) {
      this.#bucket = (this.#bucket + 1) % BUCKETS;
      this.#sum -= this.#counts[this.#bucket] as number;
      this.#counts[this.#bucket] = 0;
    }
  }

  add(n = 1, now: number = this.clock.now()): void {
    this.#advance(now);
    this.#counts[this.#bucket] = (this.#counts[this.#bucket] as number) + n;
    this.#sum += n;
  }

  get sum(): number {
    this.#advance(this.clock.now());
    return this.#sum;
  }
}

export class RetryBudget {
  readonly #requests: WindowedCounter;
  readonly #retries: WindowedCounter;
  readonly #reserve: number;

  constructor(
    readonly options: RetryBudgetOptions,
    clock: Clock,
  ) {
    this.#requests = new WindowedCounter(options.ttlMs, clock);
    this.#retries = new WindowedCounter(options.ttlMs, clock);
    this.#reserve = (options.minRetriesPerSecond * options.ttlMs) / 1000;
  }

  /**
   * Records one call (not one attempt): it earns `ratio` of a retry. `now` is the clock's
   * reading when the caller has just taken it.
   */
  deposit(now?: number): void {
    this.#requests.add(1, now);
  }

  /** Takes one retry from the budget; false when none is left. */
  tryWithdraw(): boolean {
    if (this.#retries.sum + 1 > this.options.ratio * this.#requests.sum + this.#reserve) return false;
    this.#retries.add();
    return true;
  }

  /** Retries still allowed now (for metrics and the admin page). */
  get available(): number {
    return Math.max(0, Math.floor(this.options.ratio * this.#requests.sum + this.#reserve - this.#retries.sum));
  }
}
