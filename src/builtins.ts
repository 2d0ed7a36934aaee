// The built-in resolvers and balancers: what every mesh registers first, and what the CLI and the
// schema generator know. One list, so `inmesh validate`, schema/inmesh.schema.json and a running
// mesh accept the same kinds.
import type { BalancerFactory } from './balancer/balancer.js';
import { leastRequest } from './balancer/least-request.js';
import { peakEwma } from './balancer/peak-ewma.js';
import { ringHash } from './balancer/ring-hash.js';
import { roundRobin } from './balancer/round-robin.js';
import type { ConfigRegistries } from './config/validate.js';
import { dnsResolver } from './discovery/dns.js';
import { fileResolver } from './discovery/file.js';
import type { ResolverFactory } from './discovery/resolver.js';
import { staticResolver } from './discovery/static.js';
import { Registry } from './util/registry.js';

/** Built-in discovery kinds, in the order `discovery:` lists them in messages. */
export const builtinResolvers: readonly ResolverFactory[] = [staticResolver, fileResolver, dnsResolver];

/** Built-in load-balancing policies; the first is the default (DEFAULTS.loadBalancer.policy). */
export const builtinBalancers: readonly BalancerFactory[] = [peakEwma, roundRobin, leastRequest, ringHash];

/** Fresh registries holding the built-ins, then `extra` (a same-named extra replaces a built-in). */
export function createRegistries(
  extra: { readonly resolvers?: readonly ResolverFactory[]; readonly balancers?: readonly BalancerFactory[] } = {},
): ConfigRegistries {
  return {
    resolvers: new Registry<ResolverFactory>('discovery kind', [...builtinResolvers, ...(extra.resolvers ?? [])]),
    balancers: new Registry<BalancerFactory>('load balancer', [...builtinBalancers, ...(extra.balancers ?? [])]),
  };
}
