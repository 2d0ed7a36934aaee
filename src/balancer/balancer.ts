// balancer: the load-balancer interface and its registry. A balancer builds an immutable picker
// for a list of eligible endpoints; the pick is synchronous and cheap, since it runs per attempt.
import type * as v from 'valibot';
import type { Endpoint } from '../discovery/endpoint.js';
import type { Clock, Random } from '../util/clock.js';

/** What a pick may know of the request. */
export interface PickContext {
  /** Endpoints earlier attempts of this call went to: avoided while another endpoint is available. */
  readonly tried: readonly Endpoint[] | undefined;
  /** A request header (lower-case name), for hashing balancers. */
  header(name: string): string | undefined;
}

/** An immutable choice over a fixed list of endpoints. */
export interface Picker {
  pick(context: PickContext): Endpoint | undefined;
}

/** One load-balancing policy instance (per service). */
export interface Balancer {
  /** Builds the picker for these endpoints (already filtered for health). */
  picker(endpoints: readonly Endpoint[]): Picker;
  /**
   * Feeds back the latency of an attempt that got a response, in ms; `now` is the clock's
   * reading it was measured at (the environment's clock), so the balancer need not read it again.
   */
  observe?(endpoint: Endpoint, rttMs: number, now: number): void;
}

export interface BalancerEnvironment {
  readonly clock: Clock;
  readonly random: Random;
}

/** A registered balancer kind: its name, its option entries, and its factory. */
export interface BalancerFactory<Options = Record<string, unknown>> {
  readonly name: string;
  /** valibot object entries of its options (besides `policy` and `panicThreshold`). */
  readonly options: v.ObjectEntries;
  create(options: Options, env: BalancerEnvironment): Balancer;
}

/** Defines a balancer with typed options. */
export function defineBalancer<E extends v.ObjectEntries>(factory: {
  name: string;
  options: E;
  create(options: v.InferOutput<v.ObjectSchema<E, undefined>>, env: BalancerEnvironment): Balancer;
}): BalancerFactory<v.InferOutput<v.ObjectSchema<E, undefined>>> {
  return factory;
}

/** True when a new attempt may go to `endpoint` (circuit closed or its probe slot free). */
export function isAvailable(endpoint: Endpoint): boolean {
  return !endpoint.removed && (endpoint.breaker === undefined || endpoint.breaker.allowsRequest);
}

function wasTried(endpoint: Endpoint, tried: readonly Endpoint[] | undefined): boolean {
  return tried?.includes(endpoint) === true;
}

/**
 * Scans from a random offset for an available endpoint, preferring one not tried yet. The slow
 * path of every picker, used when its fast choice is unavailable.
 */
export function scanAvailable(list: readonly Endpoint[], context: PickContext, random: Random): Endpoint | undefined {
  const n = list.length;
  const start = (random() * n) | 0;
  let fallback: Endpoint | undefined;
  for (let i = 0; i < n; i++) {
    const endpoint = list[(start + i) % n] as Endpoint;
    if (!isAvailable(endpoint)) continue;
    if (!wasTried(endpoint, context.tried)) return endpoint;
    fallback ??= endpoint;
  }
  return fallback;
}

/**
 * Power of two choices: two distinct random endpoints, the cheaper wins (Mitzenmacher; Finagle's
 * and Linkerd's P2C). Unavailable or already-tried candidates fall back to a scan.
 */
export function pickTwoChoices(
  list: readonly Endpoint[],
  context: PickContext,
  random: Random,
  cost: (endpoint: Endpoint) => number,
): Endpoint | undefined {
  const n = list.length;
  if (n === 0) return undefined;
  if (n === 1) {
    const only = list[0] as Endpoint;
    return isAvailable(only) ? only : undefined;
  }
  const i = (random() * n) | 0;
  let j = (random() * (n - 1)) | 0;
  if (j >= i) j++;
  const a = list[i] as Endpoint;
  const b = list[j] as Endpoint;
  const aOk = isAvailable(a) && !wasTried(a, context.tried);
  const bOk = isAvailable(b) && !wasTried(b, context.tried);
  if (aOk && bOk) return cost(a) <= cost(b) ? a : b;
  if (aOk) return a;
  if (bOk) return b;
  return scanAvailable(list, context, random);
}
