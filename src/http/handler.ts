// http: the handler contract the outbound stack speaks, and the adapter for the other one.
//
// undici 7's core (Client, Pool) and Node's global fetch (undici 6 inside Node 20) speak the
// callback API: onConnect, onHeaders(rawHeaders), onData, onComplete, onError. The newer
// controller API (onRequestStart, onResponseStart(headers object), ...) parses headers into an
// object at each hop and re-encodes them as Buffers on the way back. So every inmesh stage
// speaks the callback API, end to end, and a controller-API handler is adapted once, at entry.

import type { Dispatcher } from 'undici';
import { util } from 'undici';

export type AbortFn = (reason?: Error) => void;

/** The callback ("legacy") undici handler, as undici's core calls it. */
export interface DispatchHandler {
  onConnect?(abort: AbortFn, context?: object): void;
  onResponseStarted?(): void;
  onHeaders?(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean;
  onData?(chunk: Buffer): boolean;
  onComplete?(rawTrailers: Buffer[] | string[] | null): void;
  onError?(err: Error): void;
  onUpgrade?(statusCode: number, rawHeaders: Buffer[] | string[] | null, socket: unknown): void;
  onBodySent?(chunk: unknown): void;
  onRequestSent?(): void;
}

/** undici's dispatch options. */
export type DispatchOptions = Dispatcher.DispatchOptions;
export type Dispatch = (opts: DispatchOptions, handler: DispatchHandler) => boolean;

interface ControllerHandler {
  onRequestStart?(controller: Controller, context: unknown): void;
  onRequestUpgrade?(controller: Controller, statusCode: number, headers: Record<string, unknown>, socket: unknown): void;
  onResponseStart?(controller: Controller, statusCode: number, headers: Record<string, unknown>, statusMessage?: string): void;
  onResponseData?(controller: Controller, chunk: Buffer): void;
  onResponseEnd?(controller: Controller, trailers: Record<string, unknown>): void;
  onResponseError?(controller: Controller, err: Error): void;
}

/** The controller handed to a controller-API handler. */
class Controller {
  paused = false;
  aborted = false;
  reason: Error | null = null;
  resumeFn: (() => void) | null = null;
  rawHeaders: Buffer[] | null = null;
  rawTrailers: Buffer[] | null = null;
  constructor(private readonly abortFn: AbortFn) {}
  pause() {
    this.paused = true;
  }
  resume() {
    if (this.paused) {
      this.paused = false;
      this.resumeFn?.();
    }
  }
  abort(reason?: Error) {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason ?? null;
    this.abortFn(reason);
  }
}

const noAbort: AbortFn = () => {};

/** Presents a controller-API handler through the callback API. */
class ControllerAdapter implements DispatchHandler {
  #controller = new Controller(noAbort);
  constructor(private readonly handler: ControllerHandler) {}

  onConnect(abort: AbortFn, context?: object) {
    this.#controller = new Controller(abort);
    this.handler.onRequestStart?.(this.#controller, context);
  }
  onUpgrade(statusCode: number, rawHeaders: Buffer[] | null, socket: unknown) {
    this.handler.onRequestUpgrade?.(this.#controller, statusCode, util.parseHeaders(rawHeaders ?? []), socket);
  }
  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string) {
    this.#controller.resumeFn = resume;
    this.#controller.rawHeaders = rawHeaders;
    this.handler.onResponseStart?.(this.#controller, statusCode, util.parseHeaders(rawHeaders), statusText);
    return !this.#controller.paused;
  }
  onData(chunk: Buffer) {
    this.handler.onResponseData?.(this.#controller, chunk);
    return !this.#controller.paused;
  }
  onComplete(rawTrailers: Buffer[] | null) {
    this.#controller.rawTrailers = rawTrailers;
    this.handler.onResponseEnd?.(this.#controller, util.parseHeaders(rawTrailers ?? []));
  }
  onError(err: Error) {
    this.handler.onResponseError?.(this.#controller, err);
  }
}

/** The handler as the callback API, adapting a controller-API handler. */
export function toCallbackHandler(handler: object): DispatchHandler {
  return typeof (handler as ControllerHandler).onRequestStart === 'function' ||
    typeof (handler as ControllerHandler).onResponseStart === 'function'
    ? new ControllerAdapter(handler as ControllerHandler)
    : (handler as DispatchHandler);
}

/**
 * Fails a call that never reached the network. Asynchronous, as undici's own errors are: a
 * caller must not see its handler called from inside `dispatch()`.
 */
export function failHandler(handler: DispatchHandler, err: Error): void {
  queueMicrotask(() => handler.onError?.(err));
}
