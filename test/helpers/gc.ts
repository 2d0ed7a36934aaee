// Test helper: a gc() for tests that check what the collector may take (V8 lets a running
// process expose it, so the suite needs no --expose-gc flag).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Collects garbage once the current job ended (WeakRef targets live until then). */
export async function collectGarbage(): Promise<void> {
  const gc = exposeGc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
}
