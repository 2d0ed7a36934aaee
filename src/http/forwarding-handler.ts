// http: a handler that passes every callback on to the next one (undici's DecoratorHandler, for
// the callback API). Stages extend it and override only the callbacks they act on.
import type { AbortFn, DispatchHandler } from './handler.js';

export class ForwardingHandler implements DispatchHandler {
  constructor(protected readonly handler: DispatchHandler) {}

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
