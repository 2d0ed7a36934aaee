// discovery: the `static` resolver: endpoints written in the config itself.
import { staticResolverSchema } from '../config/schema.js';
import type { EndpointSpec } from './endpoint.js';
import { toEndpointSpecs } from './endpoint-list.js';
import { defineResolver } from './resolver.js';

export const staticResolver = defineResolver({
  name: 'static',
  options: staticResolverSchema,
  create(options) {
    const table = new Map<string, EndpointSpec[]>();
    for (const [service, list] of Object.entries(options)) table.set(service, toEndpointSpecs(list));
    return {
      serves: (service) => table.has(service),
      knownServices: () => table.keys(),
      watch(service, listener) {
        // Synchronous on purpose: a mesh with static endpoints is ready as soon as it is created.
        listener({ endpoints: table.get(service) ?? [] });
        return () => {};
      },
      close() {},
    };
  },
});
