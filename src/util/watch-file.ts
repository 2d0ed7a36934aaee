// util: watch one file for changes, robust to the ways files really change.
//
// Editors save by writing a temporary file and renaming it over the old one, and Kubernetes
// updates a mounted ConfigMap by swapping a symlinked directory: a watch on the file's inode
// misses both. So we watch the directory and filter on the name, and debounce because one save
// is often several events.
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface FileWatch {
  close(): void;
}

/** Calls `onChange` (debounced) after `path` changes; the watcher does not keep the process alive. */
export function watchFile(path: string, onChange: () => void, debounceMs: number): FileWatch {
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  const fire = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
    timer.unref();
  };
  watcher = watch(dirname(path), { persistent: false }, (_event, file) => {
    // Some platforms give no file name; a symlink swap shows as "..data": react to both.
    if (file === null || file === name || String(file).startsWith('..')) fire();
  });
  watcher.on('error', () => {
    /* the directory went away; the last good content stays in use */
  });
  return {
    close() {
      if (timer) clearTimeout(timer);
      watcher?.close();
      watcher = undefined;
    },
  };
}
