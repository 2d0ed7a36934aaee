// http: a handler that passes every callback on to the next one (undici's DecoratorHandler, for
// the callback API). Stages extend it and override only the callbacks they act on.
import type { AbortFn, DispatchHandler } from './handler.js';

/** Where a detached handler forwards: nowhere (undici calls nothing after a request ended). */
const DETACHED: DispatchHandler = Object.freeze({});

export class ForwardingHandler implements DispatchHandler {
  constructor(protected handler: DispatchHandler) {}

  /**
   * Lets go of the handlers above, once the attempt has ended. undici's request keeps its
   * handler, and callers keep undici's abort function (fetch holds it on its controller until
   * its response is collected): an attached handler would keep the whole call (state, options,
   * every stage's handler) alive as long, copied and promoted by the young-generation collector
   * at every pass it survives.
   */
  protected detach(): void {
    this.handler = DETACHED;
  }

  onConnect(abort: AbortFn, context?: object): void {
    this.handler.onConnect?.(abort, context);
  }
  onResponseStarted(): void {
    this.handler.onResponseStarted?.();
  }
  onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, socket: unknown): void {
    this.handler.onUpgrade?.(statusCode, rawHeaders, socket);
  }
  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    return this.handler.onHeaders?.(statusCode, rawHeaders, resume, statusText) ?? true;
  }
  onData(chunk: Buffer): boolean {
    return this.handler.onData?.(chunk) ?? true;
  }
  onComplete(rawTrailers: Buffer[] | string[] | null): void {
    this.handler.onComplete?.(rawTrailers);
  }
  onError(err: Error): void {
    this.handler.onError?.(err);
  }
  onBodySent(chunk: unknown): void {
    this.handler.onBodySent?.(chunk);
  }
  onRequestSent(): void {
    this.handler.onRequestSent?.();
  }
}
