// config: from a path or an object to a compiled snapshot, or ERR_CONFIG_INVALID listing every
// problem with its file, line and column.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InmeshError } from '../errors.js';
import { type ConfigSnapshot, compileConfig } from './compile.js';
import { parseSource, type SourceDocument } from './parse.js';
import { type ConfigProblem, configInvalid, locateProblems } from './problems.js';
import type { MeshConfig } from './types.js';
import { type ConfigRegistries, validateConfig } from './validate.js';

/** A config file path (YAML or JSON), or the config as an object. */
export type ConfigSource = string | MeshConfig;

/** Reads and parses a config file. */
export async function readConfigFile(path: string): Promise<SourceDocument> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InmeshError('ERR_CONFIG_READ', `cannot read config file ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseSource(text, file);
}

/** Validates a config and returns every problem found (empty when valid). */
export async function checkConfig(source: ConfigSource, registries: ConfigRegistries): Promise<ConfigProblem[]> {
  try {
    await loadConfig(source, registries);
    return [];
  } catch (err) {
    if (err instanceof InmeshError && err.code === 'ERR_CONFIG_INVALID') return (err.details?.problems as ConfigProblem[]) ?? [];
    throw err;
  }
}

/** Loads, validates and compiles a config. */
export async function loadConfig(source: ConfigSource, registries: ConfigRegistries): Promise<ConfigSnapshot> {
  if (typeof source === 'string') {
    const doc = await readConfigFile(source);
    const result = validateConfig(doc.value, registries);
    if (!result.ok) throw configInvalid(await locateProblems(result.problems, doc), doc.file);
    return compileConfig(result.config, doc.file);
  }
  if (source === null || typeof source !== 'object') {
    throw new InmeshError('ERR_INVALID_ARGUMENT', 'config must be a file path or a config object');
  }
  const result = validateConfig(source, registries);
  if (!result.ok) throw configInvalid(await locateProblems(result.problems, undefined));
  return compileConfig(result.config);
}
