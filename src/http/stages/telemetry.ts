// http (telemetry stage, per call, outermost): measures the whole call as the caller sees it
// (retries and back-off included) and publishes a CallEvent when it ends.
import { type CallEvent, callChannel } from '../../telemetry/call-events.js';
import type { Clock } from '../../util/clock.js';
import { type CallState, callOf } from '../call.js';
import type { AbortFn, DispatchHandler } from '../handler.js';
import type { Stage } from './stage.js';

class TelemetryHandler implements DispatchHandler {
  #status = 0;
  #done = false;

  constructor(
    private readonly handler: DispatchHandler,
    private readonly call: CallState,
    private readonly clock: Clock,
    private readonly startedAt: number,
  ) {}

  #publish(error: Error | undefined): void {
    if (this.#done) return;
    this.#done = true;
    const call = this.call;
    const event: CallEvent = {
      service: call.service,
      route: call.routeName,
      subset: call.subset?.key ?? '',
      method: call.method,
      attempts: call.attempts || (call.endpoint ? 1 : 0),
      statusCode: this.#status,
      endpoint: call.endpoint?.id,
      durationMs: this.clock.now() - this.startedAt,
      error,
    };
    callChannel.publish(event);
  }

  onConnect(abort: AbortFn, context?: object): void {
    this.handler.onConnect?.(abort, context);
  }
  onResponseStarted(): void {
    this.handler.onResponseStarted?.();
  }
  onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, socket: unknown): void {
    this.#status = statusCode;
    this.#publish(undefined);
    this.handler.onUpgrade?.(statusCode, rawHeaders, socket);
  }
  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode >= 200) this.#status = statusCode;
    return this.handler.onHeaders?.(statusCode, rawHeaders, resume, statusText) ?? true;
  }
  onData(chunk: Buffer): boolean {
    return this.handler.onData?.(chunk) ?? true;
  }
  onComplete(rawTrailers: Buffer[] | string[] | null): void {
    this.#publish(undefined);
    this.handler.onComplete?.(rawTrailers);
  }
  onError(err: Error): void {
    this.#publish(err);
    this.handler.onError?.(err);
  }
  onBodySent(chunk: unknown): void {
    this.handler.onBodySent?.(chunk);
  }
  onRequestSent(): void {
    this.handler.onRequestSent?.();
  }
}

export function telemetryStage(clock: Clock): Stage {
  return (next) => (opts, handler) => {
    if (!callChannel.hasSubscribers) return next(opts, handler);
    return next(opts, new TelemetryHandler(handler, callOf(opts), clock, clock.now()));
  };
}
