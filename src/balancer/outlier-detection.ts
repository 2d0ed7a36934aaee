// balancer: outlier detection (Envoy's consecutive-errors detection, gRFC A50). An endpoint that
// fails N times in a row is ejected for baseEjectionTime x (times ejected), capped, then returns.
// Never more than maxEjectionPercent of the endpoints are out at once (at least one may be, so
// small services are protected too) and never all of them.
import type { Endpoint } from '../discovery/endpoint.js';
import type { Outcome } from '../resilience/outcome.js';
import type { Clock, TimerHandle } from '../util/clock.js';

export interface OutlierDetectionOptions {
  readonly consecutive5xxErrors: number;
  readonly consecutiveGatewayErrors: number;
  readonly intervalMs: number;
  readonly baseEjectionTimeMs: number;
  readonly maxEjectionTimeMs: number;
  readonly maxEjectionPercent: number;
}

export interface EjectionEvent {
  readonly endpoint: Endpoint;
  readonly ejected: boolean;
  readonly durationMs: number;
  readonly reason: 'consecutive-5xx' | 'consecutive-gateway-errors' | 'expired';
}

export class OutlierDetector {
  readonly #timers = new Map<Endpoint, TimerHandle>();

  constructor(
    readonly options: OutlierDetectionOptions,
    private readonly clock: Clock,
    /** The service's live endpoints, to bound ejections by percent. */
    private readonly endpoints: () => readonly Endpoint[],
    private readonly onChange: (event: EjectionEvent) => void,
  ) {}

  /** Feeds one attempt's outcome. Cancelled and invalid attempts say nothing about the endpoint. */
  record(endpoint: Endpoint, outcome: Outcome): void {
    if (outcome.kind === 'cancelled' || outcome.kind === 'invalid') return;
    if (!outcome.failure) {
      endpoint.consecutive5xx = 0;
      endpoint.consecutiveGatewayErrors = 0;
      return;
    }
    // Transport failures count as 5xx too (Envoy without split_external_local_origin_errors).
    endpoint.consecutive5xx++;
    if (outcome.gatewayError) endpoint.consecutiveGatewayErrors++;
    else endpoint.consecutiveGatewayErrors = 0;
    const { consecutive5xxErrors, consecutiveGatewayErrors } = this.options;
    if (consecutive5xxErrors > 0 && endpoint.consecutive5xx >= consecutive5xxErrors) {
      this.#eject(endpoint, 'consecutive-5xx');
    } else if (consecutiveGatewayErrors > 0 && endpoint.consecutiveGatewayErrors >= consecutiveGatewayErrors) {
      this.#eject(endpoint, 'consecutive-gateway-errors');
    }
  }

  #eject(endpoint: Endpoint, reason: EjectionEvent['reason']): void {
    if (endpoint.ejected || endpoint.removed) return;
    const all = this.endpoints();
    let ejected = 0;
    for (const e of all) if (e.ejected) ejected++;
    const max = Math.min(all.length - 1, Math.max(1, Math.floor((all.length * this.options.maxEjectionPercent) / 100)));
    if (this.options.maxEjectionPercent === 0 || ejected >= max) return;

    const now = this.clock.now();
    // The count decays by one per interval spent back in service (Envoy), so an endpoint that
    // recovered for good starts again from the base ejection time.
    if (endpoint.ejectionCount > 0 && endpoint.lastEjectionEnd > 0) {
      const decay = Math.floor((now - endpoint.lastEjectionEnd) / this.options.intervalMs);
      endpoint.ejectionCount = Math.max(0, endpoint.ejectionCount - decay);
    }
    endpoint.ejectionCount++;
    const durationMs = Math.min(
      this.options.baseEjectionTimeMs * endpoint.ejectionCount,
      Math.max(this.options.baseEjectionTimeMs, this.options.maxEjectionTimeMs),
    );
    endpoint.ejectedUntil = now + durationMs;
    const timer = this.clock.setTimeout(() => this.#return(endpoint), durationMs);
    timer.unref?.();
    this.#timers.set(endpoint, timer);
    this.onChange({ endpoint, ejected: true, durationMs, reason });
  }

  #return(endpoint: Endpoint): void {
    this.#timers.delete(endpoint);
    endpoint.ejectedUntil = 0;
    endpoint.lastEjectionEnd = this.clock.now();
    endpoint.consecutive5xx = 0;
    endpoint.consecutiveGatewayErrors = 0;
    this.onChange({ endpoint, ejected: false, durationMs: 0, reason: 'expired' });
  }

  /** Forgets an endpoint discovery removed. */
  forget(endpoint: Endpoint): void {
    const timer = this.#timers.get(endpoint);
    if (timer) this.clock.clearTimeout(timer);
    this.#timers.delete(endpoint);
  }

  close(): void {
    for (const timer of this.#timers.values()) this.clock.clearTimeout(timer);
    this.#timers.clear();
  }
}
