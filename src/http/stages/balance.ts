// http (balance + guard stage, per attempt): picks an endpoint of the call's subset, holds a
// lease on it for the attempt (load count, circuit-breaker ticket), and reports the attempt's
// outcome back to the service's endpoints: EWMA latency, outlier detection, breaker.
//
// This is the one stage that sees whether the request reached the network, so it classifies the
// attempt's failure (the shared outcome classifier) and turns transport errors into
// InmeshErrors with stable codes, the outcome attached for the retry stage above.
import type { AttemptLease, ServiceEndpoints } from '../../balancer/service-endpoints.js';
import { ALL_ENDPOINTS } from '../../balancer/service-endpoints.js';
import { type ErrorCode, InmeshError } from '../../errors.js';
import { type AttemptProgress, classifyError, classifyStatus, type Outcome } from '../../resilience/outcome.js';
import { ForwardingHandler } from '../forwarding-handler.js';
import { type AbortFn, type DispatchHandler, failHandler } from '../handler.js';
import type { Stage } from './stage.js';

/** The outcome of a failed attempt, on the error the stage delivers. */
export const kOutcome = Symbol('inmesh.outcome');

export type ErrorWithOutcome = Error & { [kOutcome]?: Outcome };

const CODE_BY_KIND: Partial<Record<Outcome['kind'], ErrorCode>> = {
  'connect-failure': 'ERR_UPSTREAM_CONNECT',
  'refused-stream': 'ERR_UPSTREAM_CONNECT',
  reset: 'ERR_UPSTREAM_RESET',
  timeout: 'ERR_UPSTREAM_TIMEOUT',
  // undici refused the request as given (a bad header value, say): the caller's mistake.
  invalid: 'ERR_INVALID_ARGUMENT',
};

/** Wraps a transport failure as an InmeshError naming service and endpoint, cause kept. */
function describeFailure(err: Error, outcome: Outcome, service: string, endpointId: string): Error {
  const code = CODE_BY_KIND[outcome.kind];
  if (!code || err instanceof InmeshError) return err;
  const what = err.message || (err as { code?: string }).code || err.name;
  return new InmeshError(code, `${service} endpoint ${endpointId}: ${what}`, {
    cause: err,
    details: { service, endpoint: endpointId, progress: outcome.progress },
  });
}

/**
 * The attempt's handler as undici's pool sees it. It holds the service's name rather than the
 * call, and detaches from the stages above once the attempt ended: undici's request keeps it
 * for as long as a caller keeps the request's abort function (see ForwardingHandler.detach).
 */
class EndpointHandler extends ForwardingHandler {
  #progress: AttemptProgress = 'not-sent';
  #outcome: Outcome | undefined;
  #finished = false;

  constructor(
    handler: DispatchHandler,
    private readonly endpoints: ServiceEndpoints,
    private readonly lease: AttemptLease,
    private readonly service: string,
  ) {
    super(handler);
  }

  #finish(outcome: Outcome): void {
    if (this.#finished) return;
    this.#finished = true;
    this.endpoints.finish(this.lease, outcome);
  }

  override onConnect(abort: AbortFn, context?: object): void {
    this.#progress = 'sent';
    this.handler.onConnect?.(abort, context);
  }

  override onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, socket: unknown): void {
    this.#finish(classifyStatus(statusCode));
    this.handler.onUpgrade?.(statusCode, rawHeaders, socket);
    this.detach();
  }

  override onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    // 1xx informational responses precede the real one.
    if (statusCode >= 200) {
      this.#progress = 'responded';
      this.#outcome = classifyStatus(statusCode);
      this.endpoints.observeLatency(this.lease);
    }
    return this.handler.onHeaders?.(statusCode, rawHeaders, resume, statusText) ?? true;
  }

  override onComplete(rawTrailers: Buffer[] | string[] | null): void {
    this.#finish(this.#outcome ?? classifyStatus(200));
    this.handler.onComplete?.(rawTrailers);
    this.detach();
  }

  override onError(err: Error): void {
    // A body that fails after a good status line still counts: the endpoint broke the response.
    const outcome = classifyError(err, this.#progress);
    this.#finish(outcome);
    const delivered = describeFailure(err, outcome, this.service, this.lease.endpoint.id) as ErrorWithOutcome;
    if (delivered instanceof InmeshError || delivered === err) {
      try {
        (delivered as ErrorWithOutcome)[kOutcome] = outcome;
      } catch {
        /* a frozen abort reason: it carries no outcome, and needs none (cancelled) */
      }
    }
    this.handler.onError?.(delivered);
    this.detach();
  }
}

/** The balance stage over one service's endpoints. */
export function balanceStage(endpoints: ServiceEndpoints): Stage {
  return (next) => (call, handler) => {
    const subset = call.subset ?? ALL_ENDPOINTS;
    const endpoint = endpoints.pick(subset, call);
    if (endpoint === undefined) {
      failHandler(handler, endpoints.noEndpointError(subset));
      return true;
    }
    // `tried` is kept by the retry stage, and only once there is a retry: most calls make one
    // attempt and need no list.
    call.endpoint = endpoint;
    const lease = endpoints.begin(endpoint, call.attemptStartedAt);
    return next(call, new EndpointHandler(handler, endpoints, lease, call.service));
  };
}
