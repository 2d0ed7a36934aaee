// http (route stage, per call): the first route whose match accepts the request decides the
// destination subset (by weight: traffic splits, canaries), the timeout and retry policy, any
// fault to inject, and whether a copy is mirrored. Everything below reads those decisions.
import type { SubsetRef } from '../../balancer/service-endpoints.js';
import type { FaultSettings, MirrorSettings } from '../../config/compile.js';
import type { RetryPolicy } from '../../resilience/retry-policy.js';
import type { RequestPredicate } from '../../routing/route-matcher.js';
import type { Random } from '../../util/clock.js';
import type { DispatchHandler } from '../handler.js';
import type { RequestOptions } from '../request-options.js';
import type { Stage } from './stage.js';

/** A route compiled for the request path. */
export interface CompiledRoute {
  readonly name: string;
  readonly matches: RequestPredicate;
  readonly pickSubset: () => SubsetRef;
  readonly timeoutMs: number | undefined;
  /** Undefined when the route makes a single attempt without per-try timeout. */
  readonly retry: RetryPolicy | undefined;
  readonly fault: FaultSettings | undefined;
  readonly mirror: MirrorSettings | undefined;
}

/** Sends a fire-and-forget copy of a request to a service (the mesh provides it). */
export type MirrorDispatch = (mirror: MirrorSettings, opts: RequestOptions, authority: string) => void;

/** Bodies that can be sent twice without buffering; streamed bodies are not mirrored. */
function mirrorable(body: unknown): boolean {
  return body === null || body === undefined || typeof body === 'string' || body instanceof Uint8Array;
}

export function routeStage(routes: readonly CompiledRoute[], random: Random, mirror: MirrorDispatch): Stage {
  return (next) => (call, handler: DispatchHandler) => {
    const opts = call.opts;
    let route = routes[routes.length - 1] as CompiledRoute;
    for (const candidate of routes) {
      if (candidate.matches(call)) {
        route = candidate;
        break;
      }
    }
    call.routeName = route.name;
    call.subset ??= route.pickSubset();
    call.timeoutMs = route.timeoutMs;
    call.retry = route.retry;
    call.fault = route.fault;
    if (route.mirror && mirrorable(opts.body) && random() * 100 < route.mirror.percent) {
      // Envoy's convention: the shadow copy's authority ends in "-shadow", so the receiver can
      // tell it apart (and not, say, charge a card twice).
      mirror(route.mirror, opts, `${call.authority}-shadow`);
    }
    return next(call, handler);
  };
}
