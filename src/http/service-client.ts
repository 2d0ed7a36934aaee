// http: the outbound stack of one service for one config snapshot, built once. A reload builds
// new ones; calls in flight finish on the stack they started with.
import type { ServiceEndpoints, SubsetRef } from '../balancer/service-endpoints.js';
import { ALL_ENDPOINTS } from '../balancer/service-endpoints.js';
import type { RetrySettings, ServiceSettings } from '../config/compile.js';
import type { RetryBudget } from '../resilience/retry-budget.js';
import type { RetryCondition, RetryPolicy } from '../resilience/retry-policy.js';
import { compileMatch } from '../routing/route-matcher.js';
import { weightedPicker } from '../routing/weighted.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import type { Clock, Random } from '../util/clock.js';
import { CallState } from './call.js';
import type { EndpointPools, PoolSettings } from './endpoint-pools.js';
import type { DispatchHandler } from './handler.js';
import type { RequestOptions } from './request-options.js';
import { balanceStage } from './stages/balance.js';
import { deadlineStage } from './stages/deadline.js';
import { faultStage } from './stages/fault.js';
import { retryStage } from './stages/retry.js';
import { type CompiledRoute, type MirrorDispatch, routeStage } from './stages/route.js';
import { type CallDispatch, compose, type Stage } from './stages/stage.js';
import { telemetryStage } from './stages/telemetry.js';
import { transport } from './stages/transport.js';

export interface ServiceClientDeps {
  readonly endpoints: ServiceEndpoints;
  readonly budget: RetryBudget;
  readonly pools: EndpointPools;
  readonly clock: Clock;
  readonly random: Random;
  readonly replayBodyLimit: number;
  readonly mirror: MirrorDispatch;
  readonly telemetry: Telemetry | undefined;
  /** This service's name (telemetry labels). */
  readonly localService: string | undefined;
  /** The mTLS connector for the service's pools, when calls to it use mTLS. */
  readonly connector?: PoolSettings['connector'];
}

function retryPolicy(settings: RetrySettings, budget: RetryBudget): RetryPolicy | undefined {
  if (settings.attempts <= 1 && settings.perTryTimeoutMs === undefined) return undefined;
  const conditions = new Set<RetryCondition>();
  const statuses = new Set<number>();
  for (const on of settings.on) {
    if (typeof on === 'number') statuses.add(on);
    else conditions.add(on as RetryCondition);
  }
  return {
    attempts: settings.attempts,
    perTryTimeoutMs: settings.perTryTimeoutMs,
    conditions,
    statuses,
    backoffBaseMs: settings.backoffBaseMs,
    backoffMaxMs: settings.backoffMaxMs,
    maxRetryAfterMs: settings.maxRetryAfterMs,
    budget,
  };
}

function subsetRef(settings: ServiceSettings, name: string | undefined): SubsetRef {
  if (name === undefined) return ALL_ENDPOINTS;
  return { key: name, selector: settings.subsets.get(name) };
}

export class ServiceClient {
  readonly #dispatch: CallDispatch;

  constructor(
    readonly settings: ServiceSettings,
    private readonly deps: ServiceClientDeps,
  ) {
    const { clock, random } = deps;
    const routes: CompiledRoute[] = settings.routes.map((route) => {
      const pick = weightedPicker(
        route.to.map((d) => ({ weight: d.weight, ref: subsetRef(settings, d.subset) })),
        random,
      );
      return {
        name: route.name,
        matches: compileMatch(route.match),
        pickSubset: () => pick().ref,
        timeoutMs: route.timeoutMs,
        retry: retryPolicy(route.retries, deps.budget),
        fault: route.fault,
        mirror: route.mirror,
      };
    });

    // The stack, outermost first. Each stage sits where it does for a reason:
    // - telemetry first: it measures the call as the caller sees it, retries included;
    // - route next: the route decides the subset, timeout, retry policy and fault of the call;
    // - deadline next: it bounds everything below, retries and injected delays included;
    // - fault below the deadline: an injected delay must count against the timeout;
    // - retry above balance: each attempt picks its endpoint afresh (avoiding those tried);
    // - balance (with guard) last before transport: it alone sees each attempt's outcome.
    // A stage that no route of the service needs is left out, not passed through.
    const stages: Stage[] = [
      telemetryStage({ clock, telemetry: deps.telemetry, localService: deps.localService }),
      routeStage(routes, random, deps.mirror),
      deadlineStage(clock),
    ];
    if (routes.some((r) => r.fault)) stages.push(faultStage(clock, random));
    if (routes.some((r) => r.retry)) stages.push(retryStage({ clock, random, replayBodyLimit: deps.replayBodyLimit }));
    stages.push(balanceStage(deps.endpoints));
    this.#dispatch = compose(
      stages,
      transport({
        pools: deps.pools,
        settings: {
          protocol: deps.connector ? 'https' : settings.protocol,
          maxPerEndpoint: settings.connections.maxPerEndpoint,
          connectTimeoutMs: settings.connections.connectTimeoutMs,
          keepAliveTimeoutMs: settings.connections.keepAliveTimeoutMs,
          ...(deps.connector ? { connector: deps.connector } : {}),
        },
        tracing: deps.telemetry?.tracing === true,
      }),
    );
  }

  get name(): string {
    return this.settings.name;
  }

  get endpoints(): ServiceEndpoints {
    return this.deps.endpoints;
  }

  /**
   * Dispatches a request to this service. `authority` is the Host to send; `subset` forces a
   * subset (mirroring to a named subset).
   */
  dispatch(opts: RequestOptions, handler: DispatchHandler, authority: string, subset?: string): boolean {
    // The caller (mesh dispatcher, mirror) has already copied the options into one shape.
    const call = new CallState(this.settings.name, authority, opts, this.deps.clock.now());
    if (subset !== undefined) call.subset = subsetRef(this.settings, subset);
    return this.#dispatch(call, handler);
  }
}
