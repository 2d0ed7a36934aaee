// resilience: a circuit breaker per endpoint, on opossum. Open = blocked. While open the endpoint
// gets no traffic; after `resetTimeout` one probe is let through (half-open) and its result
// closes or re-opens the circuit.
//
// opossum is the state machine: its open/halfOpen/close states, its reset timer, its events. The
// outcomes are fed to it directly rather than by routing every attempt through `fire()`: a fire
// costs two promise hops and several event emissions, ~3.5 µs per attempt measured here (a fifth
// of what the whole mesh may add to a call), for a result the attempt already knows. The rolling
// window (opossum's own semantics: error percentage over `window`, from `volumeThreshold`
// requests) is kept here, in buckets turned by one timer per service (`rotation`).
import { EventEmitter } from 'node:events';
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
  /** The attempt says nothing about the endpoint (cancelled): it does not count either way. */
  neutral(): void;
}

/** Buckets of the rolling window (opossum's default). */
const WINDOW_BUCKETS = 10;

const never = () => Promise.resolve();

/** opossum's own window would need a timer per breaker; it is parked on an emitter that never fires. */
const PARKED = new EventEmitter();
PARKED.setMaxListeners(0);

class Ticket implements BreakerTicket {
  #settled = false;
  constructor(
    private readonly breaker: EndpointBreaker,
    readonly probe: boolean,
  ) {}
  success(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.breaker.record(this, 'success');
  }
  failure(_err: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    this.breaker.record(this, 'failure');
  }
  neutral(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.breaker.record(this, 'neutral');
  }
}

export class EndpointBreaker implements BreakerView {
  readonly #breaker: CircuitBreaker;
  readonly #fires = new Float64Array(WINDOW_BUCKETS);
  readonly #failures = new Float64Array(WINDOW_BUCKETS);
  #bucket = 0;
  #totalFires = 0;
  #totalFailures = 0;
  #probeInFlight = false;
  readonly #rotate = () => {
    this.#bucket = (this.#bucket + 1) % WINDOW_BUCKETS;
    this.#totalFires -= this.#fires[this.#bucket] as number;
    this.#totalFailures -= this.#failures[this.#bucket] as number;
    this.#fires[this.#bucket] = 0;
    this.#failures[this.#bucket] = 0;
  };

  constructor(
    private readonly options: BreakerOptions,
    private readonly rotation: EventEmitter,
    onStateChange: () => void,
  ) {
    // The action is never fired (see above); opossum's own window is left idle, turned by nothing.
    this.#breaker = new CircuitBreaker(never, {
      timeout: false,
      resetTimeout: options.resetTimeoutMs,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      rotateBucketController: PARKED,
    } as CircuitBreaker.Options);
    rotation.on('rotate', this.#rotate);
    this.#breaker.on('open', onStateChange);
    this.#breaker.on('halfOpen', () => {
      this.#probeInFlight = false;
      onStateChange();
    });
    this.#breaker.on('close', () => {
      // A circuit that closes starts from a clean record (Finagle revives an endpoint the same
      // way): the failures that opened it must not re-open it at the next one.
      this.#clear();
      onStateChange();
    });
  }

  get allowsRequest(): boolean {
    return this.#breaker.closed || (this.#breaker.halfOpen && !this.#probeInFlight);
  }

  get isOpen(): boolean {
    return this.#breaker.opened;
  }

  get halfOpen(): boolean {
    return this.#breaker.halfOpen;
  }

  /** Starts one attempt under the breaker. Call only when `allowsRequest`. */
  begin(): BreakerTicket {
    if (this.#breaker.halfOpen) {
      // Half-open lets exactly one probe through; its outcome decides.
      this.#probeInFlight = true;
      return new Ticket(this, true);
    }
    return new Ticket(this, false);
  }

  /** @internal an attempt's outcome (through its ticket). */
  record(ticket: { readonly probe: boolean }, outcome: 'success' | 'failure' | 'neutral'): void {
    if (ticket.probe) {
      this.#probeInFlight = false;
      if (outcome === 'success') this.#breaker.close();
      else if (outcome === 'failure') this.#breaker.open();
      // A neutral probe (cancelled) decides nothing: the next attempt may probe.
      return;
    }
    if (outcome === 'neutral' || !this.#breaker.closed) return;
    this.#fires[this.#bucket] = (this.#fires[this.#bucket] as number) + 1;
    this.#totalFires++;
    if (outcome === 'success') return;
    this.#failures[this.#bucket] = (this.#failures[this.#bucket] as number) + 1;
    this.#totalFailures++;
    const { volumeThreshold, errorThresholdPercentage } = this.options;
    if (this.#totalFires >= volumeThreshold && (this.#totalFailures * 100) / this.#totalFires > errorThresholdPercentage) {
      this.#breaker.open();
    }
  }

  #clear(): void {
    this.#fires.fill(0);
    this.#failures.fill(0);
    this.#totalFires = 0;
    this.#totalFailures = 0;
  }

  close(): void {
    this.#breaker.close();
  }

  shutdown(): void {
    this.rotation.removeListener('rotate', this.#rotate);
    this.#breaker.shutdown();
  }
}
