// http (fault stage, per call): Istio-style fault injection on a route: a fixed delay before the
// call, or an aborted call answered with a status, each for a share of requests. It sits below
// the deadline stage, so an injected delay counts against the call's timeout as a slow upstream
// would.
import type { Clock, Random, TimerHandle } from '../../util/clock.js';
import type { CallState } from '../call.js';
import type { AbortFn, DispatchHandler } from '../handler.js';
import type { CallDispatch, Stage } from './stage.js';

const noop = () => {};

/** Answers a call with `status` and an empty body, as an upstream would. */
function answer(handler: DispatchHandler, status: number): void {
  let aborted = false;
  handler.onConnect?.(() => {
    aborted = true;
  });
  queueMicrotask(() => {
    if (aborted) return;
    const raw = [Buffer.from('content-length'), Buffer.from('0'), Buffer.from('x-inmesh-fault'), Buffer.from('abort')];
    handler.onHeaders?.(status, raw, noop, '');
    handler.onComplete?.([]);
  });
}

/** Holds a call for `ms`, then sends it on; the caller can abort while it waits. */
function delay(next: CallDispatch, call: CallState, handler: DispatchHandler, ms: number, clock: Clock): boolean {
  let timer: TimerHandle | undefined;
  let innerAbort: AbortFn | undefined;
  let cancelled: Error | undefined;
  const outer: DispatchHandler = {
    // The caller gets its abort now; the inner onConnect only hands over the real one.
    onConnect: (abort) => {
      innerAbort = abort;
      if (cancelled) abort(cancelled);
    },
    onResponseStarted: () => handler.onResponseStarted?.(),
    onHeaders: (s, h, r, t) => handler.onHeaders?.(s, h, r, t) ?? true,
    onData: (c) => handler.onData?.(c) ?? true,
    onComplete: (t) => handler.onComplete?.(t),
    onError: (e) => handler.onError?.(e),
    onUpgrade: (s, h, sock) => handler.onUpgrade?.(s, h, sock),
  };
  handler.onConnect?.((reason) => {
    cancelled = reason ?? new Error('aborted');
    if (innerAbort) innerAbort(cancelled);
    else if (timer !== undefined) {
      clock.clearTimeout(timer);
      timer = undefined;
      handler.onError?.(cancelled);
    }
  });
  if (cancelled) return true;
  timer = clock.setTimeout(() => {
    timer = undefined;
    // The attempt sets off now, not when the call was dispatched.
    call.attemptStartedAt = clock.now();
    next(call, outer);
  }, ms);
  return true;
}

export function faultStage(clock: Clock, random: Random): Stage {
  return (next) => (call, handler) => {
    const fault = call.fault;
    if (fault === undefined) return next(call, handler);
    if (fault.abort && random() * 100 < fault.abort.percent) {
      answer(handler, fault.abort.httpStatus);
      return true;
    }
    if (fault.delay && random() * 100 < fault.delay.percent) return delay(next, call, handler, fault.delay.fixedDelayMs, clock);
    return next(call, handler);
  };
}
