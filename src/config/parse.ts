// config: reading a config text (JSON or YAML) into a value, and finding where a key path is in it.
//
// The `yaml` package is loaded only when a YAML file is parsed, or when a JSON file has an error
// to locate: a service whose config is a JSON file or an object never pays for it.
import { extname } from 'node:path';
import type { LineCounter, Document } from 'yaml';
import { configInvalid, type PathKey } from './problems.js';

export interface Position {
  readonly line: number;
  readonly column: number;
}

export type Locator = (path: readonly PathKey[], atKey: boolean) => Position | undefined;

/** A parsed config text. */
export interface SourceDocument {
  readonly value: unknown;
  readonly file: string | undefined;
  /** Builds (once) a function that finds a key path's line and column. */
  locator(): Promise<Locator>;
}

type YamlModule = typeof import('yaml');
let yamlModule: Promise<YamlModule> | undefined;
const loadYaml = () => {
  yamlModule ??= import('yaml');
  return yamlModule;
};

/** True when the file name says JSON (anything else is read as YAML, a superset). */
export function isJsonFile(file: string | undefined): boolean {
  return file !== undefined && extname(file).toLowerCase() === '.json';
}

/** Parses a config text; syntax errors are ERR_CONFIG_INVALID with their line and column. */
export async function parseSource(text: string, file?: string): Promise<SourceDocument> {
  if (isJsonFile(file)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      const pos = jsonErrorPosition(text, (err as Error).message);
      throw configInvalid(
        [{ path: '(root)', message: `JSON syntax error: ${(err as Error).message}`, file, ...(pos ?? {}) }],
        file,
      );
    }
    let locator: Promise<Locator> | undefined;
    return { value, file, locator: () => (locator ??= loadYaml().then((yaml) => yamlLocator(yaml, text))) };
  }
  const yaml = await loadYaml();
  const lineCounter = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw configInvalid(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { path: '(root)', message: `YAML syntax error: ${e.message.split('\n')[0]}`, file, line: pos.line, column: pos.col };
      }),
      file,
    );
  }
  const locate = makeLocator(doc, lineCounter);
  return { value: doc.toJS({ maxAliasCount: 100 }), file, locator: async () => locate };
}

function yamlLocator(yaml: YamlModule, text: string): Locator {
  const lineCounter = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { lineCounter });
  return makeLocator(doc, lineCounter);
}

function makeLocator(doc: Document, lineCounter: LineCounter): Locator {
  return (path, atKey) => {
    // Walk down as far as the path exists: a missing key is reported where its parent is.
    for (let depth = path.length; depth >= 0; depth--) {
      const prefix = path.slice(0, depth);
      if (atKey && depth === path.length && depth > 0) {
        const parent = doc.getIn(prefix.slice(0, -1), true) as { items?: Array<{ key?: { value?: unknown; range?: number[] } }> } | undefined;
        const pair = parent?.items?.find((item) => item.key && String(item.key.value) === String(path[depth - 1]));
        if (pair?.key?.range) return toPosition(lineCounter, pair.key.range[0] as number);
        continue;
      }
      const node = (depth === 0 ? doc.contents : doc.getIn(prefix, true)) as { range?: number[] } | undefined;
      if (node?.range) return toPosition(lineCounter, node.range[0] as number);
    }
    return undefined;
  };
}

function toPosition(lineCounter: LineCounter, offset: number): Position {
  const pos = lineCounter.linePos(offset);
  return { line: pos.line, column: pos.col };
}

// V8 says "... at position 11" (Node 20) or "... (line 3 column 1)" (Node 22+).
function jsonErrorPosition(text: string, message: string): Position | undefined {
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) return { line: Number(lc[1]), column: Number(lc[2]) };
  const at = /position (\d+)/.exec(message);
  if (!at) return undefined;
  const before = text.slice(0, Number(at[1]));
  const line = before.split('\n').length;
  return { line, column: Number(at[1]) - before.lastIndexOf('\n') };
}
