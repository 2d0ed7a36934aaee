// http (discovery health): optional active health checks. Each endpoint of a service is probed
// with GET `path` every interval (jittered, so a fleet does not probe in lockstep); after
// `unhealthyThreshold` failures in a row it takes no traffic until `healthyThreshold` passes.
import type { Dispatcher } from 'undici';
import type { ServiceEndpoints } from '../balancer/service-endpoints.js';
import type { HealthCheckSettings } from '../config/compile.js';
import type { Endpoint } from '../discovery/endpoint.js';
import { jitter } from '../resilience/backoff.js';
import type { Random } from '../util/clock.js';

interface ProbeState {
  passes: number;
  failures: number;
  timer: NodeJS.Timeout | undefined;
}

export class HealthChecker {
  readonly #state = new Map<Endpoint, ProbeState>();
  #closed = false;

  constructor(
    private readonly endpoints: ServiceEndpoints,
    private readonly settings: HealthCheckSettings,
    /** The dispatcher to an endpoint (its connection pool). */
    private readonly dispatcherFor: (endpoint: Endpoint) => Dispatcher,
    private readonly authority: string,
    private readonly random: Random,
  ) {
    this.sync();
  }

  /** Starts probing new endpoints and stops probing removed ones. */
  sync(): void {
    if (this.#closed) return;
    const live = new Set(this.endpoints.endpoints);
    for (const [endpoint, state] of this.#state) {
      if (!live.has(endpoint)) {
        clearTimeout(state.timer);
        this.#state.delete(endpoint);
      }
    }
    for (const endpoint of live) {
      if (this.#state.has(endpoint)) continue;
      const state: ProbeState = { passes: 0, failures: 0, timer: undefined };
      this.#state.set(endpoint, state);
      // First probe soon, at a random point of the first interval.
      this.#schedule(endpoint, state, this.random() * Math.min(this.settings.intervalMs, 1000));
    }
  }

  #schedule(endpoint: Endpoint, state: ProbeState, delayMs: number): void {
    state.timer = setTimeout(() => void this.#probe(endpoint, state), delayMs);
    state.timer.unref();
  }

  async #probe(endpoint: Endpoint, state: ProbeState): Promise<void> {
    let ok = false;
    try {
      const response = await this.dispatcherFor(endpoint).request({
        method: 'GET',
        path: this.settings.path,
        headers: { host: this.authority, 'user-agent': 'inmesh-health-check' },
        headersTimeout: this.settings.timeoutMs,
        bodyTimeout: this.settings.timeoutMs,
      });
      await response.body.dump();
      ok = response.statusCode >= 200 && response.statusCode < 300;
    } catch {
      ok = false;
    }
    if (this.#closed || !this.#state.has(endpoint)) return;
    if (ok) {
      state.passes++;
      state.failures = 0;
      if (state.passes >= this.settings.healthyThreshold) this.endpoints.setHealthy(endpoint, true);
    } else {
      state.failures++;
      state.passes = 0;
      if (state.failures >= this.settings.unhealthyThreshold) this.endpoints.setHealthy(endpoint, false);
    }
    this.#schedule(endpoint, state, jitter(this.settings.intervalMs, 0.1, this.random));
  }

  close(): void {
    this.#closed = true;
    for (const state of this.#state.values()) clearTimeout(state.timer);
    this.#state.clear();
  }
}
