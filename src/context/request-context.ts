// context: what an inbound request carries into the outbound calls made while handling it
// (deadline, caller identity, trace context), through AsyncLocalStorage. Because the mesh lives
// in the process, this needs no help from the application, which a sidecar cannot offer.
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import type { EventEmitter } from 'node:events';

export interface RequestContext {
  /** Clock time (monotonic ms, see util/clock) by which the whole request must finish. */
  readonly deadlineAt?: number;
  /** Verified identity of the caller (SPIFFE ID), when the request came over mTLS. */
  readonly peer?: string;
  /** The inbound route or service, for logs. */
  readonly service?: string;
  /** The OpenTelemetry context of the inbound request (its SERVER span): outbound spans' parent. */
  readonly otel?: unknown;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** The context of the request being handled, if any. */
export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/** Runs `fn` with `context` as the current request context. */
export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

type Listener = (...args: unknown[]) => void;
type Method = (this: EmitterWithContext, event: string | symbol, listener: Listener) => unknown;
type EmitterWithContext = Record<string, Method> & { [kResource]?: AsyncResource; [kBound]?: WeakMap<Listener, Listener> };

const ADD_METHODS = ['on', 'addListener', 'once', 'prependListener', 'prependOnceListener'] as const;
const REMOVE_METHODS = ['off', 'removeListener'] as const;
const kResource = Symbol('inmesh.contextResource');
const kBound = Symbol('inmesh.boundListeners');

// The replacement methods are created once, not per request: each finds the request's context
// (an AsyncResource) and its map of bound listeners on the emitter itself, and calls the method
// of the emitter's prototype.
function adder(method: (typeof ADD_METHODS)[number]): Method {
  return function (this: EmitterWithContext, event, listener) {
    const original = (Object.getPrototypeOf(this) as Record<string, Method>)[method] as Method;
    const resource = this[kResource];
    if (typeof listener !== 'function' || resource === undefined) return original.call(this, event, listener);
    const bound = (this[kBound] ??= new WeakMap());
    let wrapped = bound.get(listener);
    if (wrapped === undefined) {
      wrapped = resource.bind(listener);
      bound.set(listener, wrapped);
    }
    return original.call(this, event, wrapped);
  };
}

function remover(method: (typeof REMOVE_METHODS)[number]): Method {
  return function (this: EmitterWithContext, event, listener) {
    const original = (Object.getPrototypeOf(this) as Record<string, Method>)[method] as Method;
    return original.call(this, event, this[kBound]?.get(listener) ?? listener);
  };
}

const REPLACEMENTS: [string, Method][] = [
  ...ADD_METHODS.map((m) => [m, adder(m)] as [string, Method]),
  ...REMOVE_METHODS.map((m) => [m, remover(m)] as [string, Method]),
];

/**
 * Makes listeners added to `emitter` from now on run in the current async context.
 *
 * An EventEmitter calls its listeners in the context of whoever emits, and a request's 'data'
 * and 'end' are emitted by the socket, which predates the request's context: a body parser's
 * callback (and every outbound call made after it) would lose the deadline and peer. So the
 * request and response emitters bind each listener to the context it was added in, as
 * OpenTelemetry's context.bind does; removal still works with the original function.
 */
export function bindEmitterToContext(emitter: EventEmitter): void {
  const target = emitter as unknown as EmitterWithContext;
  if (target[kResource] !== undefined) return;
  target[kResource] = new AsyncResource('inmesh.request');
  for (const [name, method] of REPLACEMENTS) target[name] = method;
}
