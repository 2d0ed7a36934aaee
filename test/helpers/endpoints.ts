// test helper: endpoints and pick contexts for balancer tests, without discovery.
import type { PickContext } from '../../src/balancer/balancer.js';
import { Endpoint, type EndpointSpec } from '../../src/discovery/endpoint.js';

/** An endpoint spec on 10.0.0.`i`:80. */
export function spec(i: number, extra: Partial<EndpointSpec> = {}): EndpointSpec {
  return { host: `10.0.0.${i}`, port: 80, labels: {}, weight: 1, ...extra };
}

/** `n` endpoints 10.0.0.1 ... 10.0.0.n, weight 1. */
export function endpoints(n: number, extra: Partial<EndpointSpec> = {}): Endpoint[] {
  return Array.from({ length: n }, (_, i) => new Endpoint(spec(i + 1, extra)));
}

/** A pick context with these headers (names in lower case) and tried endpoints. */
export function context(options: { tried?: readonly Endpoint[]; headers?: Record<string, string> } = {}): PickContext {
  const headers = options.headers ?? {};
  return { tried: options.tried, header: (name) => headers[name] };
}

/** Marks `endpoint` as behind an open circuit (or lets it through again). */
export function setBlocked(endpoint: Endpoint, blocked: boolean): void {
  // shutdown() too, as ServiceEndpoints shuts down the breakers it drops.
  const open = { allowsRequest: false, isOpen: true, close() {}, shutdown() {} };
  endpoint.breaker = blocked ? open : undefined;
}

/** How often each endpoint was picked in `times` picks. */
export function tally(times: number, pick: () => Endpoint | undefined): Map<Endpoint | undefined, number> {
  const counts = new Map<Endpoint | undefined, number>();
  for (let i = 0; i < times; i++) {
    const e = pick();
    counts.set(e, (counts.get(e) ?? 0) + 1);
  }
  return counts;
}
