// http: `mesh.dispatcher`, a real undici Dispatcher. The URL's host names the service
// (`http://payments/charge`); hosts that are not mesh services go to the passthrough dispatcher,
// so installing it as the global dispatcher does not break calls to the outside world.
import { Dispatcher } from 'undici';
import { InmeshError } from '../errors.js';
import { type DispatchHandler, type DispatchOptions, failHandler, toCallbackHandler } from './handler.js';
import { RequestOptions } from './request-options.js';
import type { ServiceClient } from './service-client.js';

/** What the dispatcher needs from its mesh. */
export interface DispatchRouter {
  /** The client of a mesh service by host name, or undefined for other hosts. */
  clientFor(host: string): ServiceClient | undefined;
  /** Where other hosts go; undefined refuses them with ERR_NO_SERVICE. */
  passthrough(): Dispatcher | undefined;
  readonly closed: boolean;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

interface Target {
  host: string;
  authority: string;
}

const MAX_CACHED_ORIGINS = 1024;

/** Host name and authority of an origin, from `http://host:port` or a URL. */
function parseOrigin(origin: string): Target | undefined {
  const start = origin.indexOf('://');
  if (start === -1) return undefined;
  let end = origin.indexOf('/', start + 3);
  if (end === -1) end = origin.length;
  const authority = origin.slice(start + 3, end);
  let host = authority;
  if (authority.startsWith('[')) host = authority.slice(1, authority.indexOf(']'));
  else {
    const colon = authority.lastIndexOf(':');
    if (colon !== -1) host = authority.slice(0, colon);
  }
  return { host: host.toLowerCase(), authority };
}

export class MeshDispatcher extends Dispatcher {
  // Origins repeat endlessly on the hot path: parse each once (bounded, so a caller that
  // talks to a million hosts cannot grow it without end).
  readonly #origins = new Map<string, Target | undefined>();
  // The origin of the last call: callers mostly call the same service again, and comparing a
  // fresh origin string with the last one is cheaper than hashing it for the map.
  #lastOrigin = '';
  #lastTarget: Target | undefined;

  constructor(private readonly router: DispatchRouter) {
    super();
  }

  #target(origin: unknown): Target | undefined {
    const text = typeof origin === 'string' ? origin : origin instanceof URL ? origin.origin : undefined;
    if (text === undefined) return undefined;
    if (text === this.#lastOrigin) return this.#lastTarget;
    let target = this.#origins.get(text);
    if (target === undefined && !this.#origins.has(text)) {
      target = parseOrigin(text);
      if (this.#origins.size >= MAX_CACHED_ORIGINS) this.#origins.clear();
      this.#origins.set(text, target);
    }
    this.#lastOrigin = text;
    this.#lastTarget = target;
    return target;
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    // Copied first, origin included: every read of the caller's object is a runtime lookup.
    const options = RequestOptions.from(opts as DispatchOptions);
    const target = this.#target(options.origin);
    const client = target ? this.router.clientFor(target.host) : undefined;
    if (client && target) {
      return client.dispatch(options, toCallbackHandler(handler), target.authority);
    }
    if (this.router.closed) {
      failHandler(toCallbackHandler(handler), new InmeshError('ERR_MESH_CLOSED'));
      return true;
    }
    const passthrough = this.router.passthrough();
    if (passthrough) return passthrough.dispatch(opts, handler);
    failHandler(
      toCallbackHandler(handler) as DispatchHandler,
      new InmeshError('ERR_NO_SERVICE', `${target?.host ?? String(opts.origin)} is not a mesh service and outbound.passthrough is false`, {
        details: { host: target?.host },
      }),
    );
    return true;
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const done = this.router.close();
    if (callback) {
      done.then(callback, callback);
      return;
    }
    return done;
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const callback = typeof a === 'function' ? a : b;
    const done = this.router.destroy();
    if (callback) {
      done.then(callback, callback);
      return;
    }
    return done;
  }
}
