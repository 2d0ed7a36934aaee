// resilience: a circuit breaker per endpoint, on opossum. Open = blocked. While open the endpoint
// gets no traffic; after `resetTimeout` one probe is let through (half-open) and its result
// closes or re-opens the circuit.
//
// One attempt is one `fire()`: the action returns a promise the attempt settles with its outcome,
// so opossum's own statistics (rolling window, threshold, volume) decide. Per-service bucket
// rotation shares one timer (opossum's rotateBucketController) instead of one per endpoint.
import type { EventEmitter } from 'node:events';
import CircuitBreaker from 'opossum';
import type { BreakerView } from '../discovery/endpoint.js';

export interface BreakerOptions {
  readonly errorThresholdPercentage: number;
  readonly volumeThreshold: number;
  readonly windowMs: number;
  readonly resetTimeoutMs: number;
}

/** Settles one attempt's run of the breaker. */
export interface BreakerTicket {
  success(): void;
  failure(err: Error): void;
}

type Settle = { resolve: () => void; reject: (err: Error) => void };
const run = (settle: Settle) =>
  new Promise<void>((resolve, reject) => {
    settle.resolve = resolve;
    settle.reject = reject;
  });
const ignore = () => {};

/** Buckets of the rolling window (opossum's default). */
const WINDOW_BUCKETS = 10;

/** Empties opossum's rolling window, through its own bucket rotation (public, but untyped). */
function clearWindow(breaker: CircuitBreaker<[Settle], void>): void {
  const status = breaker.status as unknown as { rotateBucket?: () => void };
  for (let i = 0; i < WINDOW_BUCKETS; i++) status.rotateBucket?.();
}

export class EndpointBreaker implements BreakerView {
  readonly #breaker: CircuitBreaker<[Settle], void>;

  constructor(options: BreakerOptions, rotation: EventEmitter, onStateChange: () => void) {
    this.#breaker = new CircuitBreaker(run, {
      timeout: false, // the retry stage owns timeouts
      errorThresholdPercentage: options.errorThresholdPercentage,
      volumeThreshold: options.volumeThreshold,
      rollingCountTimeout: options.windowMs,
      rollingCountBuckets: WINDOW_BUCKETS,
      resetTimeout: options.resetTimeoutMs,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      rotateBucketController: rotation,
    } as CircuitBreaker.Options);
    this.#breaker.on('open', onStateChange);
    this.#breaker.on('halfOpen', onStateChange);
    this.#breaker.on('close', () => {
      // A circuit that closes starts from a clean record (Finagle revives an endpoint the same
      // way). opossum keeps the window that opened it, so one failure later in that window
      // re-opened the circuit at once (5 failures, a good probe, 10 successes, 1 failure: open).
      clearWindow(this.#breaker);
      onStateChange();
    });
  }

  get allowsRequest(): boolean {
    return this.#breaker.closed || this.#breaker.pendingClose;
  }

  get isOpen(): boolean {
    return this.#breaker.opened;
  }

  get halfOpen(): boolean {
    return this.#breaker.halfOpen;
  }

  /** Starts one attempt under the breaker. Call only when `allowsRequest`. */
  begin(): BreakerTicket {
    const settle: Settle = { resolve: ignore, reject: ignore };
    this.#breaker.fire(settle).catch(ignore);
    return {
      success: () => settle.resolve(),
      failure: (err) => settle.reject(err),
    };
  }

  close(): void {
    this.#breaker.close();
  }

  shutdown(): void {
    this.#breaker.shutdown();
  }
}
