// Test helper: a fresh temporary directory per test, removed afterwards.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

export interface TempDir {
  /** Absolute path of the directory. */
  readonly path: string;
  /** Writes `text` to `name` in the directory and returns the file's absolute path. */
  write(name: string, text: string): Promise<string>;
}

/** Registers hooks that give each test its own directory (cleanup registered first). */
export function useTempDir(prefix = 'inmesh-test-'): TempDir {
  let path: string | undefined;
  afterEach(async () => {
    if (path) await rm(path, { recursive: true, force: true });
    path = undefined;
  });
  beforeEach(async () => {
    path = await mkdtemp(join(tmpdir(), prefix));
  });
  const dir = (): string => {
    if (!path) throw new Error('useTempDir: used outside a test');
    return path;
  };
  return {
    get path() {
      return dir();
    },
    async write(name, text) {
      const file = join(dir(), name);
      await writeFile(file, text);
      return file;
    },
  };
}
