import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  buildJsonSchema,
  DOCS_FILE,
  EXAMPLE_CONFIG,
  generate,
  type JsonSchema,
  main,
  SCHEMA_FILE,
  staleFiles,
} from '../../scripts/gen-schema.js';
import { builtinBalancers, builtinResolvers, createRegistries } from '../../src/builtins.js';
import { compileConfig, type ServiceSettings } from '../../src/config/compile.js';
import { parseDuration } from '../../src/config/units.js';
import { validateConfig } from '../../src/config/validate.js';
import { createMesh } from '../../src/index.js';
import { useTempDir } from '../helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const schema = buildJsonSchema();

function deref(node: JsonSchema): JsonSchema {
  if (!node.$ref) return node;
  const def = schema.$defs?.[node.$ref.replace('#/$defs/', '')];
  if (!def) throw new Error(`unresolved ${node.$ref}`);
  return def;
}

/** The schema nodes a key of an object at `node` may match (properties or a map's values). */
function childrenFor(node: JsonSchema, key: string): JsonSchema[] {
  const resolved = deref(node);
  const options = resolved.oneOf ?? resolved.anyOf;
  if (options) return options.flatMap((option) => childrenFor(option, key));
  const property = resolved.properties?.[key];
  if (property) return [property];
  if (typeof resolved.additionalProperties === 'object') return [resolved.additionalProperties];
  return [];
}

/** Key paths of `value` that the schema does not know (values themselves are not checked). */
function unknownKeys(node: JsonSchema, value: unknown, path: string): string[] {
  if (Array.isArray(value)) {
    const items = [deref(node), ...(deref(node).anyOf ?? []).map(deref)].find((n) => n.items)?.items;
    return items ? value.flatMap((item, i) => unknownKeys(items, item, `${path}[${i}]`)) : [];
  }
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const candidates = childrenFor(node, key);
    if (candidates.length === 0) return [`${path}.${key}`];
    const attempts = candidates.map((candidate) => unknownKeys(candidate, child, `${path}.${key}`));
    return attempts.find((list) => list.length === 0) ?? (attempts[0] as string[]);
  });
}

describe('the checked-in generated files', () => {
  it('are what the schema generates (run `npm run schema` after changing src/config/schema.ts)', async () => {
    const files = await generate();
    expect(files.map((f) => f.path)).toEqual([SCHEMA_FILE, DOCS_FILE]);
    for (const file of files) {
      expect(await readFile(join(ROOT, file.path), 'utf8'), `${file.path} is stale: run npm run schema`).toBe(file.content);
    }
  });
});

describe('schema/inmesh.schema.json', () => {
  it('is a draft-07 schema with a title and a description', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.title).toBe('inmesh configuration');
    expect(schema.description).toBeTruthy();
    expect(schema.additionalProperties).toBe(false);
  });

  it('has a discovery entry that is a oneOf over the built-in kinds, each with its own options', () => {
    const items = deref(schema.properties?.discovery?.items as JsonSchema);
    expect(items.oneOf?.map((option) => option.required)).toEqual(builtinResolvers.map((r) => [r.name]));
    for (const option of items.oneOf ?? []) {
      expect(option.additionalProperties).toBe(false);
      expect(Object.keys(option.properties ?? {})).toHaveLength(1);
    }
    const dns = items.oneOf?.[2]?.properties?.dns;
    expect(dns?.properties?.port).toMatchObject({ type: 'integer', minimum: 1, maximum: 65535, default: 80 });
    expect(dns?.additionalProperties).toBe(false);
  });

  it('has a loadBalancer that is a policy name or { policy, ...options } per built-in balancer', () => {
    const lb = deref(schema.properties?.defaults?.properties?.loadBalancer as JsonSchema);
    expect(lb.default).toBe('peak-ewma');
    const [names, ...objects] = lb.oneOf ?? [];
    expect(names).toMatchObject({ type: 'string', enum: builtinBalancers.map((b) => b.name) });
    expect(objects.map((o) => o.properties?.policy?.const)).toEqual(builtinBalancers.map((b) => b.name));
    const ringHash = objects.find((o) => o.properties?.policy?.const === 'ring-hash');
    expect(Object.keys(ringHash?.properties ?? {})).toEqual(['policy', 'panicThreshold', 'hashOn', 'ringSize']);
    expect(ringHash?.properties?.hashOn).toMatchObject({ minProperties: 1, maxProperties: 1, additionalProperties: false });
    for (const object of objects) expect(object).toMatchObject({ required: ['policy'], additionalProperties: false });
    // Both places a load balancer is set use it.
    expect(schema.properties?.services?.additionalProperties).toMatchObject({
      properties: { loadBalancer: { $ref: '#/$defs/loadBalancer' } },
    });
  });

  it('shows durations as strings with their format and default, as the user writes them', () => {
    const retries = deref({ $ref: '#/$defs/retries' });
    expect(retries.properties?.maxRetryAfter).toEqual({
      type: 'string',
      pattern: '^(\\d+(?:\\.\\d+)?)(ms|s|m|h)$',
      description: expect.any(String),
      default: '5s',
    });
    expect(retries.properties?.perTryTimeout).not.toHaveProperty('default');
  });

  it('knows every key of the docs example', () => {
    expect(unknownKeys(schema, parseYaml(EXAMPLE_CONFIG), '')).toEqual([]);
    // ... and the check finds unknown ones.
    expect(unknownKeys(schema, { services: { a: { retires: {} } }, discovery: [{ consul: {} }] }, '')).toEqual([
      '.services.a.retires',
      '.discovery[0].consul',
    ]);
  });

  it('documents the defaults compile.ts applies', () => {
    const result = validateConfig({}, createRegistries());
    if (!result.ok) throw new Error('empty config invalid');
    const settings = compileConfig(result.config).defaultsFor('x');
    const documented = (def: string, ...keys: string[]) => {
      let node = deref({ $ref: `#/$defs/${def}` });
      for (const key of keys) node = deref((node.anyOf ?? [node]).find((n) => n.properties)?.properties?.[key] as JsonSchema);
      return node.default;
    };
    const ms = (value: unknown) => parseDuration(value as string);
    const cb = settings.circuitBreaker as Exclude<ServiceSettings['circuitBreaker'], false>;
    const od = settings.outlierDetection as Exclude<ServiceSettings['outlierDetection'], false>;
    const retries = settings.routes[0]?.retries;
    expect(documented('loadBalancer')).toBe(settings.loadBalancer.policy);
    expect(retries?.attempts).toBe(documented('retries', 'attempts'));
    expect(retries?.on).toEqual(documented('retries', 'on'));
    expect(retries?.backoffBaseMs).toBe(ms(documented('retries', 'backoff', 'base')));
    expect(retries?.backoffMaxMs).toBe(ms(documented('retries', 'backoff', 'max')));
    expect(retries?.maxRetryAfterMs).toBe(ms(documented('retries', 'maxRetryAfter')));
    expect(settings.budget).toEqual({
      ratio: documented('retries', 'budget', 'ratio'),
      minRetriesPerSecond: documented('retries', 'budget', 'minRetriesPerSecond'),
      ttlMs: ms(documented('retries', 'budget', 'ttl')),
    });
    expect(cb).toEqual({
      errorThresholdPercentage: documented('circuitBreaker', 'errorThresholdPercentage'),
      volumeThreshold: documented('circuitBreaker', 'volumeThreshold'),
      windowMs: ms(documented('circuitBreaker', 'window')),
      resetTimeoutMs: ms(documented('circuitBreaker', 'resetTimeout')),
    });
    expect(od).toEqual({
      consecutive5xxErrors: documented('outlierDetection', 'consecutive5xxErrors'),
      consecutiveGatewayErrors: documented('outlierDetection', 'consecutiveGatewayErrors'),
      intervalMs: ms(documented('outlierDetection', 'interval')),
      baseEjectionTimeMs: ms(documented('outlierDetection', 'baseEjectionTime')),
      maxEjectionTimeMs: ms(documented('outlierDetection', 'maxEjectionTime')),
      maxEjectionPercent: documented('outlierDetection', 'maxEjectionPercent'),
    });
    expect(settings.connections).toEqual({
      maxPerEndpoint: documented('connections', 'maxPerEndpoint'),
      connectTimeoutMs: ms(documented('connections', 'connectTimeout')),
      keepAliveTimeoutMs: ms(documented('connections', 'keepAliveTimeout')),
    });
    expect(settings.loadBalancer.panicThreshold).toBe(
      deref({ $ref: '#/$defs/loadBalancer' }).oneOf?.[1]?.properties?.panicThreshold?.default,
    );
  });

  it('lists the built-ins a mesh registers', async () => {
    // The mesh's error for an unknown kind lists what it registered.
    const error = await createMesh({ config: { discovery: [{ nope: {} }], services: { a: { loadBalancer: 'nope' } } } }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toContain(`known: ${builtinResolvers.map((r) => r.name).join(', ')}\n`);
    expect((error as Error).message).toContain(`known: ${builtinBalancers.map((b) => b.name).join(', ')}`);
  });
});

describe('docs/config.md', () => {
  it('has a row for every key of the schema', async () => {
    const docs = (await generate()).find((f) => f.path === DOCS_FILE)?.content ?? '';
    const rows = [...docs.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1] as string);
    const keys = new Set<string>();
    const collect = (node: unknown) => {
      if (Array.isArray(node)) return node.forEach(collect);
      if (node === null || typeof node !== 'object') return;
      const properties = (node as JsonSchema).properties;
      for (const key of Object.keys(properties ?? {})) keys.add(key);
      for (const child of Object.values(node)) collect(child);
    };
    collect(schema);
    expect(keys.size).toBeGreaterThan(60);
    for (const key of keys) {
      expect(
        rows.some((row) => row === key || row.endsWith(`.${key}`)),
        `no row for ${key}`,
      ).toBe(true);
    }
  });
});

describe('gen-schema --check', () => {
  const dir = useTempDir();

  it('exits 1 naming the stale files, and 0 once they are written', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await staleFiles(dir.path, await generate())).toEqual([SCHEMA_FILE, DOCS_FILE]);
      expect(await main(dir.path, ['--check'])).toBe(1);
      expect(String(err.mock.calls[0]?.[0])).toMatch(/schema\/inmesh\.schema\.json and docs\/config\.md differ .*\nRun `npm run schema`/);
      expect(await main(dir.path, [])).toBe(0);
      expect(await main(dir.path, ['--check'])).toBe(0);
      expect(await main(dir.path, ['--chek'])).toBe(2);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });
});

describe('runtime cost', () => {
  async function sources(dir: string): Promise<string[]> {
    const entries = await readdir(dir, { withFileTypes: true, recursive: true });
    return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
  }

  it('src/ never imports @valibot/to-json-schema (a devDependency), and imports yaml only lazily', async () => {
    for (const file of await sources(join(ROOT, 'src'))) {
      const text = await readFile(file, 'utf8');
      expect(text, file).not.toMatch(/@valibot\/to-json-schema/);
      // `import type` is erased; a value import would load yaml with the library.
      expect(text, file).not.toMatch(/^import\s+(?!type\b)[^;]*from\s+'yaml'/m);
    }
  });
});
