// http (deadline stage, per call): the call's deadline is the earlier of the route's timeout and
// the deadline inherited from the inbound request being handled. When it passes, the call is
// aborted with ERR_DEADLINE_EXCEEDED, whether it is still trying or streaming the response.
import { currentContext } from '../../context/request-context.js';
import { InmeshError } from '../../errors.js';
import { earliest } from '../../resilience/deadline.js';
import { kCancelled } from '../../resilience/outcome.js';
import type { Clock } from '../../util/clock.js';
import { type QueuedTimer, TimerQueue, type TimerTarget } from '../../util/timer-queue.js';
import type { CallState } from '../call.js';
import { ForwardingHandler } from '../forwarding-handler.js';
import { type AbortFn, type DispatchHandler, failHandler } from '../handler.js';
import type { Stage } from './stage.js';

function deadlineError(call: CallState, budgetMs: number): InmeshError {
  const err = new InmeshError('ERR_DEADLINE_EXCEEDED', `${call.service}: the call's deadline of ${Math.round(budgetMs)}ms passed`, {
    details: { service: call.service, route: call.routeName, attempts: call.attempts },
  });
  // Cancelled, not failed: the endpoint in flight is not to blame for our deadline.
  (err as unknown as Record<symbol, boolean>)[kCancelled] = true;
  return err;
}

class DeadlineHandler extends ForwardingHandler implements TimerTarget {
  #abort: AbortFn | undefined;
  #expired: InmeshError | undefined;
  #done = false;
  readonly #timer: QueuedTimer;

  constructor(
    handler: DispatchHandler,
    private readonly call: CallState,
    timers: TimerQueue,
    private readonly budgetMs: number,
  ) {
    super(handler);
    this.#timer = timers.schedule(budgetMs, this, call.startedAt);
  }

  /** The deadline passed. */
  onTimeout(): void {
    if (this.#done) return;
    const err = deadlineError(this.call, this.budgetMs);
    if (this.#abort) {
      this.#abort(err);
      return;
    }
    // Nothing below has connected yet: fail the caller now, and stop the request when it does.
    this.#expired = err;
    this.#end();
    this.handler.onError?.(err);
  }

  #end(): void {
    this.#done = true;
    this.#timer.cancel();
  }

  override onConnect(abort: AbortFn, context?: object): void {
    if (this.#expired) {
      abort(this.#expired);
      return;
    }
    this.#abort = abort;
    this.handler.onConnect?.(abort, context);
  }
  override onResponseStarted(): void {
    if (!this.#done) this.handler.onResponseStarted?.();
  }
  override onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, socket: unknown): void {
    if (this.#done) return;
    this.#end();
    this.handler.onUpgrade?.(statusCode, rawHeaders, socket);
  }
  override onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (this.#done) return false;
    return this.handler.onHeaders?.(statusCode, rawHeaders, resume, statusText) ?? true;
  }
  override onData(chunk: Buffer): boolean {
    if (this.#done) return false;
    return this.handler.onData?.(chunk) ?? true;
  }
  override onComplete(rawTrailers: Buffer[] | string[] | null): void {
    if (this.#done) return;
    this.#end();
    this.handler.onComplete?.(rawTrailers);
  }
  override onError(err: Error): void {
    if (this.#done) return;
    this.#end();
    this.handler.onError?.(err);
  }
}

export function deadlineStage(clock: Clock): Stage {
  // One clock timer per timeout duration, not one per call (util/timer-queue).
  const timers = new TimerQueue(clock);
  return (next) => (call, handler) => {
    const inherited = currentContext()?.deadlineAt;
    // No deadline, no handler: the common case costs one context lookup.
    if (inherited === undefined && call.timeoutMs === undefined) return next(call, handler);
    // The call's start: this stage runs within the dispatch that started it.
    const now = call.startedAt;
    const deadlineAt = earliest(inherited, call.timeoutMs === undefined ? undefined : now + call.timeoutMs) as number;
    call.deadlineAt = deadlineAt;
    const budgetMs = deadlineAt - now;
    if (budgetMs <= 0) {
      failHandler(handler, deadlineError(call, 0));
      return true;
    }
    return next(call, new DeadlineHandler(handler, call, timers, budgetMs));
  };
}
