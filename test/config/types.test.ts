import * as v from 'valibot';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { builtinBalancers, builtinResolvers } from '../../src/builtins.js';
import {
  commonBalancerOptions,
  type dnsResolverSchema,
  type fileResolverSchema,
  type MeshConfigInput,
  peakEwmaOptionsSchema,
  ringHashOptionsSchema,
  type staticResolverSchema,
} from '../../src/config/schema.js';
import type {
  DnsDiscoveryConfig,
  DnsDiscoveryOptions,
  FileDiscoveryConfig,
  FileDiscoveryOptions,
  LoadBalancerOptions,
  MeshConfig,
  StaticDiscoveryConfig,
} from '../../src/config/types.js';

// The checks below are type-level: this file fails `npm run typecheck` when src/config/types.ts
// and src/config/schema.ts disagree. Mutual assignability alone is not enough, because a type that
// lacks an optional key still accepts, and is accepted by, one that has it. So both sides are also
// compared with every key made required, all the way down: then a key on one side only is a
// missing property on the other.

/**
 * `T` with every key required, recursively. Open objects (an index signature of `unknown`: custom
 * discovery entries, balancer options) are left alone: any key is theirs, so none can be missing.
 */
type AllKeys<T> = T extends readonly (infer E)[]
  ? AllKeys<E>[]
  : T extends object
    ? string extends keyof T
      ? unknown extends T[string & keyof T]
        ? T
        : { [K in keyof T]-?: AllKeys<T[K]> }
      : { [K in keyof T]-?: AllKeys<T[K]> }
    : T;

/** The declared keys of a type with an index signature. */
type KnownKeys<T> = { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };

describe('config types', () => {
  it('accept exactly what the config schema accepts', () => {
    expectTypeOf<[MeshConfigInput, AllKeys<MeshConfigInput>]>().toExtend<[MeshConfig, AllKeys<MeshConfig>]>();
    expectTypeOf<[MeshConfig, AllKeys<MeshConfig>]>().toExtend<[MeshConfigInput, AllKeys<MeshConfigInput>]>();
  });

  it('type the built-in discovery kinds as their schemas do', () => {
    type Static = StaticDiscoveryConfig['static'];
    type StaticInput = v.InferInput<typeof staticResolverSchema>;
    expectTypeOf<[StaticInput, AllKeys<StaticInput>]>().toExtend<[Static, AllKeys<Static>]>();
    expectTypeOf<[Static, AllKeys<Static>]>().toExtend<[StaticInput, AllKeys<StaticInput>]>();

    type FileInput = v.InferInput<typeof fileResolverSchema>;
    expectTypeOf<[FileInput, AllKeys<FileInput>]>().toExtend<[FileDiscoveryOptions, AllKeys<FileDiscoveryOptions>]>();
    expectTypeOf<[FileDiscoveryOptions, AllKeys<FileDiscoveryOptions>]>().toExtend<[FileInput, AllKeys<FileInput>]>();

    type DnsInput = v.InferInput<typeof dnsResolverSchema>;
    expectTypeOf<[DnsInput, AllKeys<DnsInput>]>().toExtend<[DnsDiscoveryOptions, AllKeys<DnsDiscoveryOptions>]>();
    expectTypeOf<[DnsDiscoveryOptions, AllKeys<DnsDiscoveryOptions>]>().toExtend<[DnsInput, AllKeys<DnsInput>]>();
  });

  it('name every built-in discovery kind', () => {
    // A record, so that the object literal must list every typed kind, and no other.
    const kinds: Record<keyof StaticDiscoveryConfig | keyof FileDiscoveryConfig | keyof DnsDiscoveryConfig, true> = {
      static: true,
      file: true,
      dns: true,
    };
    expect(builtinResolvers.map((resolver) => resolver.name)).toEqual(Object.keys(kinds));
  });

  it('type the built-in balancer options as their schemas do', () => {
    // `policy` is required in a loadBalancer block, but only the second pass (validate.ts) says so:
    // the schema, and so the type, accept a block without it.
    const block = v.strictObject({
      policy: v.optional(v.string()),
      ...commonBalancerOptions,
      ...ringHashOptionsSchema,
      ...peakEwmaOptionsSchema,
    });
    type BlockInput = v.InferInput<typeof block>;
    type Known = KnownKeys<LoadBalancerOptions>;
    expectTypeOf<[BlockInput, AllKeys<BlockInput>]>().toExtend<[Known, AllKeys<Known>]>();
    expectTypeOf<[Known, AllKeys<Known>]>().toExtend<[BlockInput, AllKeys<BlockInput>]>();
    // The options documented are those of the built-in balancers: round-robin and least-request have none.
    expect(builtinBalancers.flatMap((balancer) => Object.keys(balancer.options)).sort()).toEqual(
      [...Object.keys(ringHashOptionsSchema), ...Object.keys(peakEwmaOptionsSchema)].sort(),
    );
  });
});
