// resilience: a token bucket (requests per second with a burst), for inbound rate limits. Refilled
// lazily on each take, so it needs no timer.
import type { Clock } from '../util/clock.js';

/**
 * Slack for float sums: the refill adds elapsed x rate / 1000 in steps, and ten steps of 0.1 make
 * 0.9999999999999999, which refused a request that arrived exactly on time (and made `waitMs` a
 * wait after which there was still no token).
 */
const TOKEN_EPSILON = 1e-9;

export class TokenBucket {
  #tokens: number;
  #updatedAt: number;

  constructor(
    /** Tokens added per second. */
    readonly ratePerSecond: number,
    /** Most tokens held: the largest burst. */
    readonly burst: number,
    private readonly clock: Clock,
  ) {
    this.#tokens = burst;
    this.#updatedAt = clock.now();
  }

  #refill(): void {
    const now = this.clock.now();
    const elapsed = now - this.#updatedAt;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.ratePerSecond) / 1000);
      this.#updatedAt = now;
    }
  }

  /** Takes one token; false when none is left. */
  tryTake(): boolean {
    this.#refill();
    if (this.#tokens < 1 - TOKEN_EPSILON) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is available (for Retry-After). */
  get waitMs(): number {
    this.#refill();
    return this.#tokens >= 1 - TOKEN_EPSILON ? 0 : ((1 - this.#tokens) * 1000) / this.ratePerSecond;
  }
}
