// discovery: the configured discovery sources, in order. The first source that serves a service
// provides its endpoints; a source that fails keeps the last good set (the resolver's job) and
// the failure is recorded on the service.
import type { DiscoverySettings } from '../config/compile.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Registry } from '../util/registry.js';
import type { EndpointListener, Resolver, ResolverFactory } from './resolver.js';

export interface DiscoveryOptions {
  readonly settings: readonly DiscoverySettings[];
  readonly registry: Registry<ResolverFactory>;
  readonly baseDir: string;
  readonly declaredServices: readonly string[];
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onKnownServicesChanged: () => void;
}

export class Discovery {
  readonly #resolvers: Resolver[] = [];

  constructor(options: DiscoveryOptions) {
    for (const [index, entry] of options.settings.entries()) {
      const factory = options.registry.get(entry.kind);
      const earlier = this.#resolvers.slice(0, index);
      this.#resolvers.push(
        factory.create(entry.options, {
          baseDir: options.baseDir,
          declaredServices: options.declaredServices,
          claimedEarlier: (service) => earlier.some((r) => r.serves(service)),
          clock: options.clock,
          logger: options.logger,
          onKnownServicesChanged: options.onKnownServicesChanged,
        }),
      );
    }
  }

  /** Resolves once every source has its first answer; rejects if one failed to start. */
  async ready(): Promise<void> {
    await Promise.all(this.#resolvers.map((r) => r.ready?.()));
  }

  /** The source serving `service`, if any. */
  resolverFor(service: string): Resolver | undefined {
    for (const resolver of this.#resolvers) if (resolver.serves(service)) return resolver;
    return undefined;
  }

  serves(service: string): boolean {
    return this.resolverFor(service) !== undefined;
  }

  /** Every service some source knows by name. */
  knownServices(): Set<string> {
    const names = new Set<string>();
    for (const resolver of this.#resolvers) for (const name of resolver.knownServices()) names.add(name);
    return names;
  }

  /** Watches `service` on the source that serves it; undefined when none does. */
  watch(service: string, listener: EndpointListener): (() => void) | undefined {
    return this.resolverFor(service)?.watch(service, listener);
  }

  async close(): Promise<void> {
    await Promise.all(this.#resolvers.map((r) => r.close()));
  }
}
