// Test helper: a node:fs/promises whose readFile passes through unless a test holds it, to make
// one read finish after a later one (reload races). A test file installs it with
//   vi.mock('node:fs/promises', async (original) =>
//     (await import('../helpers/fs-hooks.js')).withReadFileHook(await original()));
// (a dynamic import: vi.mock is hoisted above the file's imports), and sets `fsHooks.readFile`.

/** The hook the mocked readFile awaits after each read, when set. */
export const fsHooks: { readFile: ((path: string) => Promise<void> | undefined) | undefined } = { readFile: undefined };

/** node:fs/promises with its readFile (default export included) routed through `fsHooks`. */
export function withReadFileHook<T extends { readFile: (...args: never[]) => Promise<unknown> }>(real: T): T {
  const readFile = async (...args: Parameters<T['readFile']>) => {
    const result = await real.readFile(...args);
    await fsHooks.readFile?.(String(args[0]));
    return result;
  };
  return { ...real, readFile, default: { ...real, readFile } };
}
