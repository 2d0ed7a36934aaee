// scripts: renders docs/config.md from the generated JSON Schema, so the reference lists exactly
// the keys, types, defaults and descriptions that editors see and inmesh accepts.
import { DURATION_PATTERN, SIZE_PATTERN } from '../src/config/units.js';
import type { JsonSchema } from './gen-schema.js';

/**
 * `$defs` documented once, in their own section, and linked from every place that uses them.
 * Any other definition is documented inline where it is used.
 */
const BLOCKS: Record<string, string> = {
  loadBalancer: 'Load balancer',
  retries: 'Retries',
  circuitBreaker: 'Circuit breaker',
  outlierDetection: 'Outlier detection',
  healthCheck: 'Health check',
  connections: 'Connections',
  route: 'Route',
  endpoint: 'Endpoint',
};

/** What the `<name>` in a path stands for, by the key of the map. */
const PLACEHOLDERS: Record<string, string> = {
  services: 'service',
  static: 'service',
  subsets: 'subset',
  labels: 'label',
  headers: 'header',
  query: 'param',
};

interface Row {
  readonly path: string;
  readonly type: string;
  readonly fallback: string;
  readonly description: string;
}

const anchor = (title: string) =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');

const code = (text: string) => `\`${text}\``;

/** A value as it would be written in YAML flow style. */
function yamlish(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(yamlish).join(', ')}]`;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Walks the schema: rows for every key, and where each block is used. */
class Walker {
  readonly usages = new Map<string, Set<string>>();

  constructor(
    private readonly root: JsonSchema,
    /** Descend into blocks too (to find where blocks nested in blocks are used), not only link them. */
    private readonly expandBlocks: boolean,
  ) {}

  /** The definition a `$ref` points to. */
  definition(ref: string): [string, JsonSchema] {
    const name = ref.replace(/^#\/\$defs\//, '');
    const def = this.root.$defs?.[name];
    if (!def) throw new Error(`unresolved $ref ${ref}`);
    return [name, def];
  }

  /** The node with its `$ref` followed (for descriptions and defaults kept in the definition). */
  resolve(node: JsonSchema): JsonSchema {
    return node.$ref ? this.definition(node.$ref)[1] : node;
  }

  typeOf(node: JsonSchema): string {
    if (node.$ref) {
      const [name, def] = this.definition(node.$ref);
      const title = BLOCKS[name];
      return title ? `[${title}](#${anchor(title)})` : this.typeOf(def);
    }
    if (node.const !== undefined) return code(yamlish(node.const));
    if (node.enum) return node.enum.map((value) => code(yamlish(value))).join(' | ');
    const options = node.anyOf ?? node.oneOf;
    if (options) {
      if (options.some((option) => option.pattern === SIZE_PATTERN.source)) return 'size';
      return [...new Set(options.map((option) => this.typeOf(option)))].join(' or ');
    }
    switch (node.type) {
      case 'string':
        return node.pattern === DURATION_PATTERN.source ? 'duration' : 'string';
      case 'integer':
      case 'number':
        if (node.minimum !== undefined && node.maximum !== undefined) return `${node.type} ${node.minimum}–${node.maximum}`;
        if (node.minimum !== undefined) return `${node.type} ≥ ${node.minimum}`;
        return node.type;
      case 'boolean':
        return 'boolean';
      case 'array':
        return node.items ? `list of ${this.typeOf(node.items)}` : 'list';
      case 'object':
        if (!node.properties && typeof node.additionalProperties === 'object') return `map of ${this.typeOf(node.additionalProperties)}`;
        return 'object';
    }
    return 'any';
  }

  row(path: string, node: JsonSchema, required = false): Row {
    const resolved = this.resolve(node);
    const fallback = node.default ?? resolved.default;
    return {
      path,
      type: this.typeOf(node),
      fallback: required ? 'required' : fallback === undefined ? '' : code(yamlish(fallback)),
      description: node.description ?? resolved.description ?? '',
    };
  }

  /**
   * Rows for every key below `node`, whose own path is `path`. In a union variant, the one key of a
   * one-key object (`{ exact }`, `{ static }`) is the variant itself, not a required key.
   */
  rows(node: JsonSchema, path: string, variant = false): Row[] {
    if (node.$ref) {
      const [name, def] = this.definition(node.$ref);
      if (!BLOCKS[name]) return this.rows(def, path, variant);
      let set = this.usages.get(name);
      if (!set) this.usages.set(name, (set = new Set()));
      set.add(path);
      return this.expandBlocks ? this.rows(def, path) : [];
    }
    if (node.properties) {
      const entries = Object.entries(node.properties);
      return entries.flatMap(([key, child]) => {
        const childPath = join(path, key);
        const required = node.required?.includes(key) === true && !(variant && entries.length === 1);
        return [this.row(childPath, child, required), ...this.rows(child, childPath)];
      });
    }
    if (node.items) return this.rows(node.items, `${path}[]`);
    if (typeof node.additionalProperties === 'object') {
      const key = path.split('.').pop()?.replace(/\[\]$/, '') ?? '';
      return this.rows(node.additionalProperties, join(path, `<${PLACEHOLDERS[key] ?? 'name'}>`));
    }
    const options = node.anyOf ?? node.oneOf;
    return options ? this.variantRows(options, path) : [];
  }

  /**
   * Rows of a union. Object variants told apart by a constant key (`policy: ring-hash`) share
   * their common keys; a key only some variants have says which.
   */
  variantRows(options: readonly JsonSchema[], path: string): Row[] {
    const labels = variantLabels(options.map((option) => this.resolve(option)));
    const perOption = options.map((option) => this.rows(option, path, true));
    const variants = perOption.filter((rows) => rows.length > 0).length;
    const byPath = new Map<string, { rows: Row[]; labels: string[] }>();
    perOption.forEach((optionRows, index) => {
      for (const row of optionRows) {
        let entry = byPath.get(row.path);
        if (!entry) byPath.set(row.path, (entry = { rows: [], labels: [] }));
        entry.rows.push(row);
        const label = labels[index];
        if (label) entry.labels.push(label);
      }
    });
    return [...byPath.values()].map(({ rows, labels: only }) => {
      const first = rows[0] as Row;
      const type = [...new Set(rows.map((row) => row.type))].join(' | ');
      if (rows.length === variants || only.length === 0) return { ...first, type };
      return { ...first, type, description: `${first.description} Only with ${only.map(code).join(' or ')}.`.trim() };
    });
  }
}

/** `policy: ring-hash` for each object variant, when one key holds a different constant in each. */
function variantLabels(options: readonly JsonSchema[]): (string | undefined)[] {
  const objects = options.filter((option) => option.properties);
  if (objects.length < 2) return options.map(() => undefined);
  const first = objects[0]?.properties ?? {};
  const key = Object.keys(first).find((k) => objects.every((option) => option.properties?.[k]?.const !== undefined));
  return options.map((option) => {
    const value = key === undefined ? undefined : option.properties?.[key]?.const;
    return value === undefined ? undefined : `${key}: ${yamlish(value)}`;
  });
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\n/g, ' ');
}

function table(rows: readonly Row[]): string {
  const lines = ['| Key | Type | Default | Description |', '|---|---|---|---|'];
  for (const row of rows) {
    // Paths are code spans: `<` needs no escaping there, `|` still does (GFM tables).
    lines.push(`| ${code(row.path).replace(/\|/g, '\\|')} | ${cell(row.type)} | ${cell(row.fallback)} | ${cell(row.description)} |`);
  }
  return lines.join('\n');
}

const INTRO = `# Configuration reference

<!-- Generated by scripts/gen-schema.ts from src/config/schema.ts. Do not edit: run \`npm run schema\`. -->

One file configures a mesh: \`createMesh({ config: 'mesh.yaml' })\`. It is YAML, or JSON when the
name ends in \`.json\`; \`createMesh\` also takes the same structure as an object. The file is
watched and reloaded when it changes; a reload that fails validation keeps the running config.

- **Check a file** with \`npx inmesh validate mesh.yaml\`: it prints every problem with its file,
  line, column and key path, not only the first. Unknown keys are errors, with the closest known
  key suggested.
- **Editors** complete and check the file with the JSON Schema shipped in the package,
  \`schema/inmesh.schema.json\`. In YAML, start the file with
  \`# yaml-language-server: $schema=./node_modules/inmesh/schema/inmesh.schema.json\`; in JSON, set
  \`"$schema"\` to that path. Discovery kinds and load balancers registered in code
  (\`createMesh({ resolvers, balancers })\`) are validated by inmesh but unknown to the schema.
- **Durations** are strings: a number and a unit, \`ms\`, \`s\`, \`m\` or \`h\` (\`250ms\`, \`2s\`,
  \`1.5m\`). **Sizes** are bytes or a string with a unit: \`KiB\`, \`MiB\`, \`GiB\` (1024) or \`kB\`,
  \`MB\`, \`GB\` (1000), e.g. \`64KiB\`.
- **Inheritance.** Each setting is taken from the route (\`timeout\`, \`retries\`), else the
  service, else \`defaults:\`, else the built-in default shown in the tables below. Blocks such as
  \`circuitBreaker\` are inherited key by key; \`false\` turns one off. The built-in defaults follow
  Linkerd, Envoy, Istio and Finagle; \`src/config/defaults.ts\` names the source of each.
`;

/** docs/config.md for a generated schema. */
export function renderConfigDocs(schema: JsonSchema, example: string): string {
  // First pass: where each block is used, blocks nested in blocks included.
  const finder = new Walker(schema, true);
  finder.rows(schema, '');
  const walker = new Walker(schema, false);

  const out = [INTRO, '## Example', '', '```yaml', example.trimEnd(), '```', '', '## Keys', ''];
  const keys = Object.entries(schema.properties ?? {});
  const scalars = keys.filter(([, node]) => walker.rows(node, '').length === 0);
  out.push('### Top level', '', table(scalars.map(([key, node]) => walker.row(key, node))), '');
  for (const [key, node] of keys) {
    if (scalars.some(([name]) => name === key)) continue;
    out.push(`### ${code(key)}`, '');
    const description = walker.resolve(node).description;
    if (description) out.push(description, '');
    out.push(table([walker.row(key, node), ...walker.rows(node, key)]), '');
  }

  out.push('## Blocks', '', 'Groups of keys used in more than one place. Keys are relative to the block.', '');
  for (const [name, title] of Object.entries(BLOCKS)) {
    const def = schema.$defs?.[name];
    if (!def) throw new Error(`block ${name} is not in the schema's $defs`);
    out.push(`### ${title}`, '');
    if (def.description) out.push(def.description, '');
    const used = [...(finder.usages.get(name) ?? [])];
    if (used.length > 0) out.push(`Used at: ${used.map(code).join(', ')}.`, '');
    const variants = (def.oneOf ?? []).filter((option) => option.description);
    const labels = variantLabels(def.oneOf ?? []);
    const listed = variants.flatMap((option) => {
      const label = labels[(def.oneOf ?? []).indexOf(option)];
      return label ? [`- ${code(label)}: ${option.description}`] : [];
    });
    if (listed.length > 0) out.push(...listed, '');
    const rows = walker.rows(def, '');
    if (rows.length > 0) out.push(table(rows), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
