// http (retry stage, per call): sends attempts down the stack until one gives an answer worth
// passing on, within the policy (attempts, conditions), the retry budget, the per-try timeout
// and the call's deadline.
//
// Invariants:
// - The caller sees one onConnect, then at most one onHeaders..onComplete or one onError.
// - No retry once a response has been handed to the caller: the decision is made on the status
//   line, before anything is forwarded; a response to be retried is drained, not forwarded.
// - A request that may have reached the server is retried only when idempotent (the outcome's
//   progress, from the balance stage, says whether it was sent).
// - Each retry withdraws from the service's budget; none is sent when the budget is empty.
import { InmeshError } from '../../errors.js';
import { type Backoff, exponentialBackoff, JITTER, jitter, parseRetryAfter } from '../../resilience/backoff.js';
import { classifyStatus, isIdempotent, kCancelled, kPerTryTimeout, NOT_SENT, type Outcome } from '../../resilience/outcome.js';
import { isRetryable, type RetryPolicy } from '../../resilience/retry-policy.js';
import type { Clock, Random, TimerHandle } from '../../util/clock.js';
import { type QueuedTimer, TimerQueue, type TimerTarget } from '../../util/timer-queue.js';
import type { CallState } from '../call.js';
import type { AbortFn, DispatchHandler } from '../handler.js';
import { getHeader, getRawHeader } from '../headers.js';
import { type AttemptBodySource, attemptBodySource, NO_BODY } from '../replayable-body.js';
import type { RequestOptions } from '../request-options.js';
import { type ErrorWithOutcome, kOutcome } from './balance.js';
import type { CallDispatch, Stage } from './stage.js';

/** A retried response body longer than this is cut off rather than drained (keep-alive is lost). */
const MAX_DRAIN_BYTES = 64 * 1024;

export interface RetryStageOptions {
  readonly clock: Clock;
  readonly random: Random;
  /** Largest streamed request body kept for replay (outbound.replayBodyLimit). */
  readonly replayBodyLimit: number;
}

function perTryTimeoutError(call: CallState, ms: number): Error {
  const err = new InmeshError('ERR_UPSTREAM_TIMEOUT', `${call.service}: no response within the per-try timeout of ${ms}ms`, {
    details: { service: call.service, endpoint: call.endpoint?.id },
  });
  (err as unknown as Record<symbol, boolean>)[kPerTryTimeout] = true;
  return err;
}

function abortedError(): Error {
  const err = new Error('The request was aborted');
  err.name = 'AbortError';
  (err as unknown as Record<symbol, boolean>)[kCancelled] = true;
  return err;
}

/** One attempt's view of the call; ignores everything once the call moved on without it. */
class AttemptHandler implements DispatchHandler, TimerTarget {
  abortFn: AbortFn | undefined;
  /** The call gave up on this attempt (per-try timeout before it connected, or caller abort). */
  abandonedWith: Error | undefined;
  /** Draining a response that will be retried. */
  draining = false;
  drained = 0;
  retryDelayMs = 0;
  /** The per-try timeout. */
  timer: QueuedTimer | undefined;

  constructor(private readonly call: RetryingCall) {}

  get current(): boolean {
    return this.call.attempt === this && this.abandonedWith === undefined;
  }

  /** The per-try timeout passed. */
  onTimeout(): void {
    this.timer = undefined;
    this.call.perTryTimeout(this);
  }

  onConnect(abort: AbortFn): void {
    this.abortFn = abort;
    // Abandoned before it reached a connection: stop it before a byte is written.
    if (this.abandonedWith) abort(this.abandonedWith);
  }

  onResponseStarted(): void {
    if (this.current && !this.draining) this.call.handler.onResponseStarted?.();
  }

  onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, socket: unknown): void {
    if (this.current) this.call.upgraded(this, statusCode, rawHeaders, socket);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (!this.current) return false;
    if (statusCode < 200) return this.call.handler.onHeaders?.(statusCode, rawHeaders, resume, statusText) ?? true;
    return this.call.headers(this, statusCode, rawHeaders, resume, statusText);
  }

  onData(chunk: Buffer): boolean {
    if (this.draining) {
      this.drained += chunk.length;
      if (this.drained > MAX_DRAIN_BYTES) this.abortFn?.(abortedError());
      return true;
    }
    if (!this.current) return false;
    return this.call.handler.onData?.(chunk) ?? true;
  }

  onComplete(rawTrailers: Buffer[] | string[] | null): void {
    if (this.draining) {
      if (this.call.attempt === this) this.call.retryAfterDrain(this);
      return;
    }
    if (this.current) this.call.completed(rawTrailers);
  }

  onError(err: Error): void {
    if (this.draining) {
      if (this.call.attempt === this) this.call.retryAfterDrain(this);
      return;
    }
    if (this.current) this.call.attemptFailed(this, err as ErrorWithOutcome);
  }
}

type Phase = 'attempting' | 'backoff' | 'committed' | 'done';

/**
 * The abort function the caller is handed. Callers may keep it long after the call ended (fetch
 * keeps it on its controller until its response is collected): it reaches the call only while
 * the call runs, so a kept abort does not keep the call's attempts, handlers and options alive
 * (see ForwardingHandler.detach).
 */
class CallerAbort {
  constructor(public call: RetryingCall | undefined) {}
  readonly abort: AbortFn = (reason) => this.call?.abort(reason);
}

/** One call: its attempts, back-off, and what the caller has been told. */
class RetryingCall {
  attempt: AttemptHandler | undefined;
  #phase: Phase = 'attempting';
  /** Created at the first retry: most calls never need one. */
  #backoff: Backoff | undefined;
  #timer: TimerHandle | undefined;
  readonly #body: AttemptBodySource;
  #idempotent: boolean | undefined;
  #budgetExhausted = false;
  readonly #caller = new CallerAbort(this);

  constructor(
    private readonly next: CallDispatch,
    private readonly opts: RequestOptions,
    readonly handler: DispatchHandler,
    private readonly call: CallState,
    private readonly policy: RetryPolicy,
    private readonly options: RetryStageOptions,
    private readonly timers: TimerQueue,
  ) {
    // Most calls have no body: skip building the content-length lookup for them.
    this.#body =
      opts.body == null
        ? NO_BODY
        : attemptBodySource(opts.body, options.replayBodyLimit, () => {
            const length = getHeader(opts.headers, 'content-length');
            return length === undefined ? undefined : Number(length);
          });
  }

  get #isIdempotent(): boolean {
    this.#idempotent ??= isIdempotent(this.opts.method, getHeader(this.opts.headers, 'idempotency-key') !== undefined);
    return this.#idempotent;
  }

  start(): boolean {
    this.policy.budget.deposit(this.call.attemptStartedAt);
    this.handler.onConnect?.(this.#caller.abort);
    if (this.#phase === 'done') return true;
    return this.#send();
  }

  #send(): boolean {
    this.#phase = 'attempting';
    // A retry avoids the endpoints tried before (the balance stage reads this list).
    if (this.call.endpoint !== undefined) (this.call.tried ??= []).push(this.call.endpoint);
    const attempt = new AttemptHandler(this);
    this.attempt = attempt;
    // The first attempt sets off within the call's dispatch (or the injected delay's end, which
    // refreshed the reading); a retry sets off from a back-off timer.
    if (this.call.attempts++ > 0) this.call.attemptStartedAt = this.options.clock.now();
    const perTry = this.policy.perTryTimeoutMs;
    if (perTry !== undefined) attempt.timer = this.timers.schedule(perTry, attempt, this.call.attemptStartedAt);
    const body = this.#body.forAttempt();
    try {
      // A streamed body needs a new reader per attempt; others are sent as they are.
      this.call.attemptBody = body === this.opts.body || (body === null && this.opts.body == null) ? undefined : body;
      return this.next(this.call, attempt);
    } catch (err) {
      attempt.onError(err as Error);
      return true;
    }
  }

  perTryTimeout(attempt: AttemptHandler): void {
    if (this.attempt !== attempt || this.#phase !== 'attempting') return;
    const err = perTryTimeoutError(this.call, this.policy.perTryTimeoutMs as number);
    if (attempt.abortFn) {
      // Connected: the abort comes back through the balance stage as a classified timeout.
      attempt.abortFn(err);
      return;
    }
    // Not yet connected (queued or connecting): nothing was written and nothing will be, since
    // onConnect aborts it. That is a connect failure, safe to retry whatever the method.
    attempt.abandonedWith = err;
    (err as ErrorWithOutcome)[kOutcome] = NOT_SENT;
    this.attemptFailed(attempt, err as ErrorWithOutcome);
  }

  #clearAttemptTimer(attempt: AttemptHandler): void {
    attempt.timer?.cancel();
    attempt.timer = undefined;
  }

  /** The delay before the next attempt, or undefined when the policy, budget or deadline say no. */
  #retryDelay(outcome: Outcome, retryAfterMs: number | undefined): number | undefined {
    const { policy } = this;
    if (this.call.attempts >= policy.attempts) return undefined;
    if (!isRetryable(policy, outcome, this.#isIdempotent)) return undefined;
    if (!this.#body.replayable) return undefined;
    this.#backoff ??= exponentialBackoff(policy.backoffBaseMs, policy.backoffMaxMs);
    let delay = jitter(this.#backoff.delayMs, JITTER, this.options.random);
    if (retryAfterMs !== undefined) {
      // The server said when to come back; sooner would only be refused again.
      if (retryAfterMs > policy.maxRetryAfterMs) return undefined;
      delay = Math.max(delay, retryAfterMs);
    }
    const deadline = this.call.deadlineAt;
    if (deadline !== undefined && this.options.clock.now() + delay >= deadline) return undefined;
    // Budget last: a withdrawal is only made for a retry that will really be sent.
    if (!policy.budget.tryWithdraw()) {
      this.#budgetExhausted = true;
      this.call.budgetExhausted = true;
      return undefined;
    }
    return delay;
  }

  headers(attempt: AttemptHandler, status: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    this.#clearAttemptTimer(attempt);
    if (status >= 500 || this.policy.statuses.has(status)) {
      const retryAfter = status === 503 || status === 429 ? parseRetryAfter(getRawHeader(rawHeaders, 'retry-after')) : undefined;
      const delay = this.#retryDelay(classifyStatus(status), retryAfter);
      if (delay !== undefined) {
        attempt.draining = true;
        attempt.retryDelayMs = delay;
        return true;
      }
    }
    this.#phase = 'committed';
    return this.handler.onHeaders?.(status, rawHeaders, resume, statusText) ?? true;
  }

  upgraded(attempt: AttemptHandler, status: number, rawHeaders: Buffer[] | string[] | null, socket: unknown): void {
    this.#clearAttemptTimer(attempt);
    this.#end();
    this.handler.onUpgrade?.(status, rawHeaders, socket);
  }

  retryAfterDrain(attempt: AttemptHandler): void {
    if (this.#phase === 'done') return;
    attempt.draining = false;
    this.#schedule(attempt.retryDelayMs);
  }

  completed(rawTrailers: Buffer[] | string[] | null): void {
    if (this.#phase === 'done') return;
    this.#end();
    this.handler.onComplete?.(rawTrailers);
  }

  attemptFailed(attempt: AttemptHandler, err: ErrorWithOutcome): void {
    this.#clearAttemptTimer(attempt);
    if (this.#phase === 'done') return;
    if (this.#phase === 'committed') {
      // The response is already with the caller: a broken body is the caller's error now.
      this.#fail(err);
      return;
    }
    const outcome = err[kOutcome];
    const delay = outcome ? this.#retryDelay(outcome, undefined) : undefined;
    if (delay !== undefined) {
      this.#schedule(delay);
      return;
    }
    if (this.#budgetExhausted && err instanceof InmeshError) {
      this.#fail(
        new InmeshError('ERR_RETRY_BUDGET_EXHAUSTED', `${this.call.service}: ${err.message}; the retry budget allows no retry now`, {
          cause: err,
          details: { service: this.call.service, attempts: this.call.attempts },
        }),
      );
      return;
    }
    this.#fail(err);
  }

  #schedule(delayMs: number): void {
    this.#phase = 'backoff';
    this.#backoff = this.#backoff?.next();
    this.#timer = this.options.clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#phase === 'backoff') this.#send();
    }, delayMs);
  }

  #fail(err: Error): void {
    if (this.#phase === 'done') return;
    if (this.#timer !== undefined) this.options.clock.clearTimeout(this.#timer);
    this.#end();
    this.handler.onError?.(err);
  }

  /** The call is over: the body's reader is released, and a kept abort no longer reaches it. */
  #end(): void {
    this.#phase = 'done';
    this.#body.dispose();
    this.#caller.call = undefined;
  }

  /** The caller's abort (or the deadline's): stops the attempt in flight and any back-off. */
  abort(reason?: Error): void {
    if (this.#phase === 'done') return;
    const err = reason ?? abortedError();
    const attempt = this.attempt;
    if (attempt) {
      this.#clearAttemptTimer(attempt);
      if (attempt.abortFn && this.#phase !== 'backoff') {
        // The attempt reports back through onError, which ends the call with this reason.
        attempt.abandonedWith = undefined;
        this.#phase = 'committed';
        attempt.draining = false;
        attempt.abortFn(err);
        // If undici had already finished with the attempt, end the call here.
        if ((this.#phase as Phase) !== 'done') queueMicrotask(() => this.#fail(err));
        return;
      }
      attempt.abandonedWith = err;
    }
    this.#fail(err);
  }
}

/** The retry stage; a route whose policy makes one attempt without per-try timeout skips it. */
export function retryStage(options: RetryStageOptions): Stage {
  // Per-try timeouts: one clock timer per duration, not one per attempt (util/timer-queue).
  const timers = new TimerQueue(options.clock);
  return (next) => (call, handler) => {
    const opts = call.opts;
    const policy = call.retry;
    if (policy === undefined || opts.upgrade || opts.method === 'CONNECT') return next(call, handler);
    return new RetryingCall(next, opts, handler, call, policy, options, timers).start();
  };
}
