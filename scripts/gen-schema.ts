// scripts: generates schema/inmesh.schema.json (for editors) and docs/config.md (the config
// reference) from the one valibot schema in src/config/schema.ts and the built-in resolvers and
// balancers. `npm run schema` writes both; `npm run schema:check` fails when they are stale.
//
// Node 20 cannot run TypeScript: scripts/gen-schema.mjs bundles this file with esbuild and calls
// `main`. @valibot/to-json-schema is a devDependency and is imported here only, never by src/.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type ConversionConfig, toJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import { builtinBalancers, builtinResolvers, createRegistries } from '../src/builtins.js';
import { parseSource } from '../src/config/parse.js';
import { formatProblems, locateProblems } from '../src/config/problems.js';
import {
  circuitBreakerSchema,
  commonBalancerOptions,
  configSchema,
  connectionsSchema,
  discoverySourceSchema,
  endpointSchema,
  healthCheckSchema,
  loadBalancerSchema,
  outlierDetectionSchema,
  retriesSchema,
  routeSchema,
  strict,
} from '../src/config/schema.js';
import { validateConfig } from '../src/config/validate.js';
import { renderConfigDocs } from './config-docs.js';

/** The subset of JSON Schema (draft-07) this generator reads and writes. */
export interface JsonSchema {
  $schema?: string;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  title?: string;
  description?: string;
  default?: unknown;
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  minItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

export const SCHEMA_FILE = 'schema/inmesh.schema.json';
export const DOCS_FILE = 'docs/config.md';

/**
 * Parts of the schema used in more than one place, emitted once under `$defs`. `loadBalancer`
 * and `discoverySource` are placeholders in the valibot schema (their options are checked by the
 * registered kind in validate.ts); here they are replaced by a oneOf over the built-ins.
 */
const DEFINITIONS = {
  discoverySource: discoverySourceSchema,
  endpoint: endpointSchema,
  loadBalancer: loadBalancerSchema,
  retries: retriesSchema,
  circuitBreaker: circuitBreakerSchema,
  outlierDetection: outlierDetectionSchema,
  healthCheck: healthCheckSchema,
  connections: connectionsSchema,
  route: routeSchema,
};

const CONVERSION: ConversionConfig = {
  target: 'draft-07',
  // As the user writes it: durations are strings, not the milliseconds they become.
  typeMode: 'input',
  // `methods` are upper-cased after validation; there is nothing for an editor to check.
  ignoreActions: ['to_upper_case'],
  definitions: DEFINITIONS,
};

// What each built-in policy is, for editors' hover text and the docs.
const BALANCER_DESCRIPTIONS: Record<string, string> = {
  'peak-ewma': 'Power of two choices over latency (peak EWMA) times in-flight requests (Linkerd, Finagle). The default.',
  'round-robin': 'Each endpoint in turn; smooth weighted round-robin when weights differ.',
  'least-request': 'Power of two choices over in-flight requests per unit of weight.',
  'ring-hash': 'Consistent hashing on a header or cookie: the same key goes to the same endpoint (Envoy ring_hash).',
};

/** Converts one valibot schema; the `$defs` every conversion repeats are dropped (the root keeps them). */
function convert(schema: v.GenericSchema): JsonSchema {
  const { $schema: _schema, $defs: _defs, ...rest } = toJsonSchema(schema, CONVERSION) as JsonSchema;
  return rest;
}

function discoverySourceDef(): JsonSchema {
  return {
    description: 'A discovery source: an object with one key, its kind, whose value holds its options.',
    oneOf: builtinResolvers.map((factory) => {
      const options = convert(factory.options);
      return {
        type: 'object',
        ...(options.description ? { description: options.description } : {}),
        properties: { [factory.name]: options },
        required: [factory.name],
        additionalProperties: false,
      };
    }),
  };
}

function loadBalancerDef(): JsonSchema {
  // Without definitions: loadBalancerSchema is one, and would convert to a bare $ref.
  const { description, default: fallback } = toJsonSchema(loadBalancerSchema, { ...CONVERSION, definitions: {} }) as JsonSchema;
  const names = builtinBalancers.map((factory) => factory.name);
  return {
    description,
    default: fallback,
    oneOf: [
      { type: 'string', enum: names, description: 'A policy by name, with its default options.' },
      ...builtinBalancers.map((factory) => {
        const about = BALANCER_DESCRIPTIONS[factory.name];
        const options = convert(
          strict({
            policy: v.pipe(v.literal(factory.name), v.description('The policy.')),
            ...commonBalancerOptions,
            ...factory.options,
          }),
        );
        return about ? { ...options, description: about } : options;
      }),
    ],
  };
}

/** Drops what says nothing (`required: []`, `propertyNames: { type: string }`), recursively. */
function tidy<T>(node: T): T {
  if (Array.isArray(node)) return node.map(tidy) as T;
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'required' && Array.isArray(value) && value.length === 0) continue;
    // Object keys are strings anyway; only a pattern says something.
    if (key === 'propertyNames' && JSON.stringify(value) === '{"type":"string"}') continue;
    out[key] = tidy(value);
  }
  return out as T;
}

/** The JSON Schema of the config file. */
export function buildJsonSchema(): JsonSchema {
  const { $schema, $defs, ...root } = toJsonSchema(configSchema, CONVERSION) as JsonSchema;
  return tidy({
    $schema,
    title: 'inmesh configuration',
    description: 'Configuration of an inmesh service mesh (createMesh({ config }) or `inmesh validate`). Reference: docs/config.md.',
    ...root,
    $defs: { ...$defs, discoverySource: discoverySourceDef(), loadBalancer: loadBalancerDef() },
  });
}

/**
 * The example in docs/config.md. It is validated on every generation, so the docs never show a
 * config that inmesh rejects.
 */
export const EXAMPLE_CONFIG = `# yaml-language-server: $schema=./node_modules/inmesh/schema/inmesh.schema.json
service: orders

discovery:
  # In order: the first source that knows a service serves it.
  - static:
      payments:
        - { address: 127.0.0.1:9001, labels: { version: v1 } }
        - { address: 127.0.0.1:9002, labels: { version: v2 }, weight: 2 }
      inventory: [127.0.0.1:9101, 127.0.0.1:9102]
  - file: { path: endpoints.yaml }      # same shape as static:, re-read on change
  - dns:
      services: [users]
      name: "{service}.default.svc.cluster.local"
      port: 8080
      minTtl: 5s
      maxTtl: 5m

outbound:
  passthrough: true                     # hosts that are not services go straight out
  replayBodyLimit: 64KiB

defaults:                               # every service inherits these
  timeout: 10s
  retries:
    attempts: 2
    on: [connect-failure, refused-stream]
    budget: { ratio: 0.2, minRetriesPerSecond: 10, ttl: 10s }
  connections: { maxPerEndpoint: 64, connectTimeout: 5s, keepAliveTimeout: 4s }

services:
  payments:
    loadBalancer: { policy: peak-ewma, decay: 10s, defaultRtt: 30ms, panicThreshold: 50 }
    timeout: 2s
    retries:
      attempts: 3
      perTryTimeout: 500ms
      on: [connect-failure, reset, 503]
      backoff: { base: 25ms, max: 250ms }
      maxRetryAfter: 5s
    circuitBreaker: { errorThresholdPercentage: 50, volumeThreshold: 20, window: 30s, resetTimeout: 10s }
    outlierDetection:
      consecutive5xxErrors: 5
      consecutiveGatewayErrors: 5
      interval: 10s
      baseEjectionTime: 30s
      maxEjectionTime: 300s
      maxEjectionPercent: 50
    healthCheck: { path: /healthz, interval: 10s, timeout: 1s, healthyThreshold: 1, unhealthyThreshold: 2 }
    subsets:
      v1: { version: v1 }
      v2: { version: v2 }
    routes:
      - name: canary
        match: { headers: { x-canary: "true" } }
        to: [{ subset: v2 }]
      - name: refunds
        match: { path: /refunds/*, methods: [POST] }
        timeout: 5s
        retries: { attempts: 1 }
      - name: split
        to: [{ subset: v1, weight: 90 }, { subset: v2, weight: 10 }]
        mirror: { subset: v2, percent: 5 }
  inventory:
    protocol: http
    loadBalancer: { policy: ring-hash, hashOn: { header: x-user-id }, ringSize: 1024 }
    circuitBreaker: false
    routes:
      - match: { query: { debug: { present: true } } }
        fault:
          delay: { fixedDelay: 100ms, percent: 10 }
          abort: { httpStatus: 503, percent: 1 }
  users:
    loadBalancer: least-request
`;

/** Throws when the example config is not valid: the docs must not show a rejected config. */
export async function checkExample(): Promise<void> {
  const doc = await parseSource(EXAMPLE_CONFIG, 'example.yaml');
  const result = validateConfig(doc.value, createRegistries());
  if (!result.ok) {
    throw new Error(`the example in ${DOCS_FILE} is invalid:\n${formatProblems(await locateProblems(result.problems, doc))}`);
  }
}

export interface GeneratedFile {
  /** Relative to the repository root. */
  readonly path: string;
  readonly content: string;
}

/** Both generated files, as they should be checked in. */
export async function generate(): Promise<GeneratedFile[]> {
  await checkExample();
  const schema = buildJsonSchema();
  return [
    { path: SCHEMA_FILE, content: `${JSON.stringify(schema, null, 2)}\n` },
    { path: DOCS_FILE, content: renderConfigDocs(schema, EXAMPLE_CONFIG) },
  ];
}

/** The files whose checked-in content differs from what is generated (missing ones included). */
export async function staleFiles(root: string, files: readonly GeneratedFile[]): Promise<string[]> {
  const stale: string[] = [];
  for (const file of files) {
    const current = await readFile(join(root, file.path), 'utf8').catch(() => undefined);
    if (current !== file.content) stale.push(file.path);
  }
  return stale;
}

/** `gen-schema [--check]`: writes the files, or with --check exits 1 when they are stale. */
export async function main(root: string, argv: readonly string[]): Promise<number> {
  const unknown = argv.filter((arg) => arg !== '--check');
  if (unknown.length > 0) {
    process.stderr.write(`gen-schema: unknown argument ${unknown.join(' ')}; usage: gen-schema [--check]\n`);
    return 2;
  }
  const files = await generate();
  if (argv.includes('--check')) {
    const stale = await staleFiles(root, files);
    if (stale.length > 0) {
      process.stderr.write(
        `gen-schema: ${stale.join(' and ')} ${stale.length === 1 ? 'differs' : 'differ'} from what src/config/schema.ts and the built-in resolvers and balancers generate.\n` +
          'Run `npm run schema` and commit the result.\n',
      );
      return 1;
    }
    process.stdout.write(`gen-schema: ${files.map((f) => f.path).join(' and ')} are up to date.\n`);
    return 0;
  }
  for (const file of files) {
    await mkdir(dirname(join(root, file.path)), { recursive: true });
    await writeFile(join(root, file.path), file.content);
    process.stdout.write(`gen-schema: wrote ${file.path}\n`);
  }
  return 0;
}
