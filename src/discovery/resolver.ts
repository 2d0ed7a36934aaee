// discovery: the Resolver interface and its registry. A resolver turns a service name into a
// changing set of endpoints; the built-ins (static, file, dns) register like anyone else's.
import type * as v from 'valibot';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { EndpointSpec } from './endpoint.js';

/** A resolver's news about one service: a full endpoint set, or a failure (the last good set stays). */
export type EndpointUpdate =
  | { readonly endpoints: readonly EndpointSpec[]; readonly error?: undefined }
  | { readonly error: Error; readonly endpoints?: undefined };

export type EndpointListener = (update: EndpointUpdate) => void;

/** A source of endpoints. */
export interface Resolver {
  /** True when this resolver provides the named service. Must be cheap: it runs per unknown host. */
  serves(service: string): boolean;
  /** Names this resolver knows without being asked (static lists, files); used to tell mesh hosts. */
  knownServices(): Iterable<string>;
  /** Calls `listener` with the current set (soon) and every change; returns the unsubscribe. */
  watch(service: string, listener: EndpointListener): () => void;
  /** Resolves once the first answer for every watched service is in (success or failure). */
  ready?(): Promise<void>;
  /** Stops timers and watchers. */
  close(): void | Promise<void>;
}

/** What a resolver gets from the mesh. */
export interface ResolverContext {
  /** Directory of the config file (relative paths resolve against it), or the cwd. */
  readonly baseDir: string;
  /** Services declared under `services:`; a resolver may serve these by default (dns). */
  readonly declaredServices: readonly string[];
  /** True when an earlier discovery source serves `service` (dns then leaves it alone). */
  readonly claimedEarlier: (service: string) => boolean;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called when known services change (a file resolver's file gained a name). */
  readonly onKnownServicesChanged: () => void;
}

/** A registered resolver kind: its name in `discovery:`, its option schema and its factory. */
export interface ResolverFactory<Options = unknown> {
  readonly name: string;
  readonly options: v.GenericSchema<unknown, Options>;
  create(options: Options, context: ResolverContext): Resolver;
}

/** Creates a resolver factory with typed options. */
export function defineResolver<S extends v.GenericSchema>(factory: {
  name: string;
  options: S;
  create(options: v.InferOutput<S>, context: ResolverContext): Resolver;
}): ResolverFactory<v.InferOutput<S>> {
  return factory;
}
