// balancer: one service's endpoints with their load and health: discovery updates come in,
// pickers per subset go out, and every attempt's outcome feeds back into EWMA latency, outlier
// detection and the endpoint's circuit breaker. Protocol-neutral: HTTP and gRPC share it.
import { EventEmitter } from 'node:events';
import type { BreakerSettings, OutlierSettings } from '../config/compile.js';
import { Endpoint, type EndpointSpec } from '../discovery/endpoint.js';
import { InmeshError } from '../errors.js';
import { type BreakerTicket, EndpointBreaker } from '../resilience/circuit-breaker.js';
import type { Outcome } from '../resilience/outcome.js';
import type { Clock, Random } from '../util/clock.js';
import { type Balancer, isAvailable, type PickContext, type Picker } from './balancer.js';
import { type EjectionEvent, OutlierDetector } from './outlier-detection.js';

/** A subset as routing names it: a key for caching and the label selector. */
export interface SubsetRef {
  readonly key: string;
  readonly selector: Readonly<Record<string, string>> | undefined;
}

export const ALL_ENDPOINTS: SubsetRef = Object.freeze({ key: '', selector: undefined });

export interface ServiceEndpointsOptions {
  readonly name: string;
  readonly clock: Clock;
  readonly random: Random;
}

/** Events of a service's endpoints; the mesh re-emits them. */
export interface ServiceEndpointEvents {
  ejection: [EjectionEvent & { service: string }];
  circuit: [{ service: string; endpoint: Endpoint; state: 'open' | 'half-open' | 'closed' }];
  change: [{ service: string; added: Endpoint[]; removed: Endpoint[] }];
}

interface CachedPicker {
  version: number;
  picker: Picker;
  size: number;
}

/** What an attempt holds between `begin` and `finish`. */
export interface AttemptLease {
  readonly endpoint: Endpoint;
  readonly startedAt: number;
  readonly ticket: BreakerTicket | undefined;
}

export class ServiceEndpoints extends EventEmitter<ServiceEndpointEvents> {
  readonly name: string;
  readonly #clock: Clock;
  readonly #byId = new Map<string, Endpoint>();
  #list: Endpoint[] = [];
  #version = 0;
  readonly #pickers = new Map<string, CachedPicker>();
  #balancer: Balancer | undefined;
  #panicThreshold = 50;
  #outlier: OutlierDetector | undefined;
  #breakerSettings: BreakerSettings | false = false;
  readonly #rotation = new EventEmitter();
  #rotationTimer: NodeJS.Timeout | undefined;
  /** Set once discovery answered (with endpoints or an error). */
  resolved = false;
  /** The last discovery failure, while it lasts. */
  lastError: Error | undefined;

  constructor(options: ServiceEndpointsOptions) {
    super();
    this.name = options.name;
    this.#clock = options.clock;
    this.#rotation.setMaxListeners(0);
  }

  get endpoints(): readonly Endpoint[] {
    return this.#list;
  }

  /** Applies the policies of a (new) config snapshot. State of unchanged parts is kept. */
  configure(balancer: Balancer, panicThreshold: number, outlier: OutlierSettings | false, breaker: BreakerSettings | false): void {
    this.#balancer = balancer;
    this.#panicThreshold = panicThreshold;
    if (JSON.stringify(outlier) !== JSON.stringify(this.#outlier?.options ?? false)) {
      this.#outlier?.close();
      // close() cancelled the return timers of the old detector: give its ejected endpoints back
      // now, or they would stay out of rotation for good after a reload.
      for (const endpoint of this.#list) {
        if (endpoint.ejected) {
          endpoint.ejectedUntil = 0;
          endpoint.lastEjectionEnd = this.#clock.now();
        }
      }
      this.#outlier = outlier
        ? new OutlierDetector(
            outlier,
            this.#clock,
            () => this.#list,
            (event) => this.#onEjection(event),
          )
        : undefined;
    }
    if (JSON.stringify(breaker) !== JSON.stringify(this.#breakerSettings)) {
      for (const endpoint of this.#list) this.#dropBreaker(endpoint);
      this.#breakerSettings = breaker;
      if (this.#rotationTimer) clearInterval(this.#rotationTimer);
      this.#rotationTimer = undefined;
    }
    this.invalidate();
  }

  /** Replaces the endpoint set; endpoints that stay keep their load and health state. */
  update(specs: readonly EndpointSpec[]): void {
    this.resolved = true;
    this.lastError = undefined;
    const next = new Map<string, Endpoint>();
    const added: Endpoint[] = [];
    for (const spec of specs) {
      const id = spec.host.includes(':') ? `[${spec.host}]:${spec.port}` : `${spec.host}:${spec.port}`;
      if (next.has(id)) continue;
      let endpoint = this.#byId.get(id);
      if (endpoint) {
        endpoint.labels = spec.labels;
        endpoint.weight = spec.weight;
      } else {
        endpoint = new Endpoint(spec);
        added.push(endpoint);
      }
      next.set(id, endpoint);
    }
    const removed: Endpoint[] = [];
    for (const [id, endpoint] of this.#byId) {
      if (next.has(id)) continue;
      endpoint.removed = true;
      this.#outlier?.forget(endpoint);
      this.#dropBreaker(endpoint);
      removed.push(endpoint);
    }
    this.#byId.clear();
    for (const [id, endpoint] of next) this.#byId.set(id, endpoint);
    this.#list = [...next.values()];
    this.invalidate();
    if (added.length || removed.length) this.emit('change', { service: this.name, added, removed });
  }

  /** Records a discovery failure; the endpoints stay as they were. */
  fail(error: Error): void {
    this.resolved = true;
    this.lastError = error;
  }

  /** Health changed somewhere: pickers are rebuilt on next use. */
  invalidate(): void {
    this.#version++;
  }

  /** Picks an endpoint of `subset` for an attempt, or undefined (see {@link noEndpointError}). */
  pick(subset: SubsetRef, context: PickContext): Endpoint | undefined {
    let cached = this.#pickers.get(subset.key);
    if (cached === undefined || cached.version !== this.#version) cached = this.#build(subset);
    return cached.picker.pick(context);
  }

  #build(subset: SubsetRef): CachedPicker {
    const members = subset.selector ? this.#list.filter((e) => e.matches(subset.selector as Record<string, string>)) : this.#list;
    let eligible = members.filter((e) => e.healthy && !e.ejected && !e.breaker?.isOpen);
    // Panic (Envoy): when too few endpoints look healthy, health data is more likely wrong than
    // the fleet; spread over all of them rather than crush the few.
    if (eligible.length * 100 < members.length * this.#panicThreshold) eligible = members;
    const balancer = this.#balancer;
    if (!balancer) throw new Error('ServiceEndpoints used before configure()');
    const cached = { version: this.#version, picker: balancer.picker(eligible), size: members.length };
    this.#pickers.set(subset.key, cached);
    return cached;
  }

  /** Why `pick` found nothing: no endpoint at all, or every circuit open. */
  noEndpointError(subset: SubsetRef): InmeshError {
    const members = subset.selector ? this.#list.filter((e) => e.matches(subset.selector as Record<string, string>)) : this.#list;
    const details = { service: this.name, subset: subset.key || undefined };
    if (members.length > 0 && members.every((e) => !isAvailable(e))) {
      return new InmeshError(
        'ERR_CIRCUIT_OPEN',
        `every endpoint of ${this.name}${subset.key ? ` (subset ${subset.key})` : ''} has an open circuit`,
        {
          details,
        },
      );
    }
    const why = this.lastError
      ? `: discovery failed (${this.lastError.message})`
      : subset.selector && this.#list.length > 0
        ? `: no endpoint has labels ${JSON.stringify(subset.selector)}`
        : this.resolved
          ? ': discovery returned none'
          : ': discovery has not answered yet';
    return new InmeshError('ERR_NO_ENDPOINTS', `no endpoint for ${this.name}${subset.key ? ` (subset ${subset.key})` : ''}${why}`, {
      details,
      ...(this.lastError ? { cause: this.lastError } : {}),
    });
  }

  /**
   * Starts an attempt on `endpoint`: load accounting and the circuit breaker's ticket.
   * `startedAt` is the clock's reading when the attempt sets off, when the caller has it.
   */
  begin(endpoint: Endpoint, startedAt: number = this.#clock.now()): AttemptLease {
    endpoint.pending++;
    let ticket: BreakerTicket | undefined;
    if (this.#breakerSettings) {
      const breaker = (endpoint.breaker as EndpointBreaker | undefined) ?? this.#createBreaker(endpoint, this.#breakerSettings);
      ticket = breaker.begin();
    }
    return { endpoint, startedAt, ticket };
  }

  /** Ends an attempt with its outcome: feeds latency, outlier detection and the breaker. */
  finish(lease: AttemptLease, outcome: Outcome): void {
    const { endpoint, ticket } = lease;
    endpoint.pending--;
    // A per-try timeout gives a lower bound on latency that peak-EWMA should see: that endpoint
    // is slow, whatever else it does.
    if (outcome.kind === 'timeout') this.observeLatency(lease);
    this.#outlier?.record(endpoint, outcome);
    if (ticket) {
      if (outcome.kind === 'cancelled' || outcome.kind === 'invalid') ticket.neutral();
      else if (outcome.failure) ticket.failure(new Error(outcome.kind));
      else ticket.success();
    }
  }

  /** Feeds the time from the attempt's start to now (its response headers) to the balancer. */
  observeLatency(lease: AttemptLease): void {
    const balancer = this.#balancer;
    if (balancer?.observe === undefined) return;
    const now = this.#clock.now();
    balancer.observe(lease.endpoint, now - lease.startedAt, now);
  }

  #createBreaker(endpoint: Endpoint, settings: BreakerSettings): EndpointBreaker {
    const breaker = new EndpointBreaker(
      {
        errorThresholdPercentage: settings.errorThresholdPercentage,
        volumeThreshold: settings.volumeThreshold,
        windowMs: settings.windowMs,
        resetTimeoutMs: settings.resetTimeoutMs,
      },
      this.#rotation,
      () => {
        this.invalidate();
        const state = breaker.isOpen ? 'open' : breaker.halfOpen ? 'half-open' : 'closed';
        this.emit('circuit', { service: this.name, endpoint, state });
      },
    );
    endpoint.breaker = breaker;
    // One timer rotates the statistics buckets of every breaker of the service.
    if (!this.#rotationTimer) {
      this.#rotationTimer = setInterval(() => this.#rotation.emit('rotate'), Math.max(1, Math.floor(settings.windowMs / 10)));
      this.#rotationTimer.unref();
    }
    return breaker;
  }

  #dropBreaker(endpoint: Endpoint): void {
    (endpoint.breaker as EndpointBreaker | undefined)?.shutdown();
    endpoint.breaker = undefined;
  }

  #onEjection(event: EjectionEvent): void {
    this.invalidate();
    this.emit('ejection', { ...event, service: this.name });
  }

  /** Marks an endpoint healthy or not (active health checks). */
  setHealthy(endpoint: Endpoint, healthy: boolean): void {
    if (endpoint.healthy === healthy) return;
    endpoint.healthy = healthy;
    this.invalidate();
  }

  close(): void {
    this.#outlier?.close();
    for (const endpoint of this.#list) this.#dropBreaker(endpoint);
    if (this.#rotationTimer) clearInterval(this.#rotationTimer);
    this.#rotationTimer = undefined;
  }
}
