// context: what an inbound request carries into the outbound calls made while handling it
// (deadline, caller identity, trace context), through AsyncLocalStorage. Because the mesh lives
// in the process, this needs no help from the application, which a sidecar cannot offer.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  /** Clock time (monotonic ms, see util/clock) by which the whole request must finish. */
  readonly deadlineAt?: number;
  /** Verified identity of the caller (SPIFFE ID), when the request came over mTLS. */
  readonly peer?: string;
  /** The inbound route or service, for logs. */
  readonly service?: string;
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
