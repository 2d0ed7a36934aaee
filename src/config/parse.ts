// config: reading a config text (JSON or YAML) into a value, and finding where a key path is in it.
//
// The `yaml` package is loaded only when a YAML file is parsed, or when a JSON file has an error
// to locate: a service whose config is a JSON file or an object never pays for it.
import { extname } from 'node:path';
import type { Document, LineCounter } from 'yaml';
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
    // A byte order mark, as some Windows editors write, is not JSON but is no mistake either.
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      const found = jsonSyntaxError(text);
      const message = found?.message ?? (err as Error).message.replace(/\s*\n\s*/g, ' ');
      throw configInvalid(
        [{ path: '(root)', message: `JSON syntax error: ${message}`, file, ...(found ? positionAt(text, found.offset) : {}) }],
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
        const parent = doc.getIn(prefix.slice(0, -1), true) as
          | { items?: Array<{ key?: { value?: unknown; range?: number[] } }> }
          | undefined;
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

function positionAt(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

class JsonSyntaxError {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}

const JSON_NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const JSON_WHITESPACE = ' \t\n\r';

/**
 * Where a text that JSON.parse rejected goes wrong, and what was expected there. V8 gives the
 * position only for some errors ("Unexpected token '}', ..." has none), and in a different form
 * per Node version, so the text is scanned again: only on the error path, and only to locate.
 */
export function jsonSyntaxError(text: string): { offset: number; message: string } | undefined {
  let i = 0;
  const fail = (expected: string): never => {
    const got = i < text.length ? JSON.stringify(text[i]) : 'the end of the file';
    throw new JsonSyntaxError(i, `expected ${expected}, got ${got}`);
  };
  const space = () => {
    while (i < text.length && JSON_WHITESPACE.includes(text[i] as string)) i++;
  };
  const string = () => {
    i++;
    while (i < text.length) {
      const c = text[i] as string;
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const next = text[i + 1] ?? '';
        i++;
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail('four hex digits after \\u');
          i += 5;
        } else if ('"\\/bfnrt'.includes(next) && next !== '') {
          i++;
        } else {
          fail('an escape sequence (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)');
        }
        continue;
      }
      if (c < ' ') fail('a closing quote before the end of the line');
      i++;
    }
    fail('a closing quote');
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      space();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        space();
        if (text[i] !== '"') fail('a double-quoted key');
        string();
        space();
        if (text[i] !== ':') fail("':' after the key");
        i++;
        value();
        space();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail("',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      space();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        space();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail("',' or ']'");
      }
    }
    if (c === '"') {
      string();
      return;
    }
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    }
    JSON_NUMBER.lastIndex = i;
    if (JSON_NUMBER.test(text)) {
      i = JSON_NUMBER.lastIndex;
      return;
    }
    fail('a value');
  };
  try {
    value();
    space();
    if (i < text.length) fail('the end of the file');
    return undefined;
  } catch (err) {
    // A RangeError (nesting deeper than the stack) leaves V8's message to say it.
    if (err instanceof JsonSyntaxError) return { offset: err.offset, message: err.message };
    return undefined;
  }
}
