// resilience: a concurrency limit: at most `max` requests in progress; the rest are shed at
// once (503 + Retry-After) rather than queued, so latency stays bounded under overload.
export class ConcurrencyLimit {
  #inFlight = 0;

  constructor(readonly max: number) {}

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Takes a slot; false when all are taken. Every true must be followed by one release(). */
  tryAcquire(): boolean {
    if (this.#inFlight >= this.max) return false;
    this.#inFlight++;
    return true;
  }

  release(): void {
    if (this.#inFlight > 0) this.#inFlight--;
  }
}
