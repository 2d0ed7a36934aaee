// http: the state of one outbound call, handed from stage to stage. The stages pass this object,
// not undici's dispatch options: copying the options (with a symbol key for the state) at each
// hop cost more than the rest of the stack together; the transport builds the options for the
// endpoint's pool once, from `opts` and what the stages decided.
import type { PickContext } from '../balancer/balancer.js';
import type { SubsetRef } from '../balancer/service-endpoints.js';
import type { FaultSettings, MirrorSettings } from '../config/compile.js';
import type { Endpoint } from '../discovery/endpoint.js';
import type { RetryPolicy } from '../resilience/retry-policy.js';
import type { RequestView } from '../routing/route-matcher.js';
import { getHeader } from './headers.js';
import type { RequestOptions } from './request-options.js';

/** What the stages of one call decide and share. */
export class CallState implements RequestView, PickContext {
  /** Chosen by the route stage. */
  routeName = 'default';
  subset: SubsetRef | undefined;
  /** Overall timeout of the route, if any. */
  timeoutMs: number | undefined;
  /** Retry policy of the route; undefined when the route makes one attempt. */
  retry: RetryPolicy | undefined;
  fault: FaultSettings | undefined;
  mirror: MirrorSettings | undefined;
  /** Clock time by which the call must finish (deadline stage). */
  deadlineAt: number | undefined;
  /** Endpoints of earlier attempts (retry stage), avoided by the balancer. */
  tried: Endpoint[] | undefined;
  /** Attempts sent so far. */
  attempts = 0;
  /** The request body for the next attempt, when the retry stage replaces it (streamed bodies). */
  attemptBody: unknown;
  /** The endpoint of the current attempt (balance stage). */
  endpoint: Endpoint | undefined;
  /** Set by the retry stage when the budget refused a retry (telemetry counts it). */
  budgetExhausted = false;
  /**
   * The clock's reading when the current attempt set off: the call's start for the first
   * attempt, refreshed by a stage that goes on later (retry back-off, injected delay). Stages
   * that run synchronously within one dispatch share it rather than each reading the clock.
   */
  attemptStartedAt: number;
  /** Tracing (telemetry stage): the parent context, the call's start, its INTERNAL span. */
  otelParent: unknown;
  startEpochMs = 0;
  span: unknown;
  spanDecided = false;
  #path: string | undefined;
  #query: URLSearchParams | undefined;

  constructor(
    /** Logical service name: the URL host. */
    readonly service: string,
    /** Host header value to send (the logical authority). */
    readonly authority: string,
    /** The caller's options, in one shape (http/request-options). */
    readonly opts: RequestOptions,
    /** The clock's reading when the call was dispatched. */
    readonly startedAt: number,
  ) {
    this.attemptStartedAt = startedAt;
  }

  get method(): string {
    return this.opts.method;
  }

  get path(): string {
    if (this.#path === undefined) {
      const full = this.opts.path;
      const q = full.indexOf('?');
      this.#path = q === -1 ? full : full.slice(0, q);
    }
    return this.#path;
  }

  header(name: string): string | undefined {
    return getHeader(this.opts.headers, name);
  }

  query(name: string): string | undefined {
    if (this.#query === undefined) {
      const full = this.opts.path;
      const q = full.indexOf('?');
      this.#query = new URLSearchParams(q === -1 ? '' : full.slice(q + 1));
    }
    return this.#query.get(name) ?? undefined;
  }
}
