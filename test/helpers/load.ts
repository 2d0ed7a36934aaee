// Test helper: a steady stream of requests at a fixed concurrency until stopped, counting results.
export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  errors: unknown[];
  byUpstream: Map<string, number>;
}

export interface Load {
  readonly result: LoadResult;
  /** Resolves once `n` more requests have completed. */
  completed(n: number): Promise<void>;
  stop(): Promise<LoadResult>;
}

export function startLoad(send: () => Promise<string | undefined>, concurrency = 4): Load {
  const result: LoadResult = { sent: 0, ok: 0, failed: 0, errors: [], byUpstream: new Map() };
  let running = true;
  const waiters: { target: number; resolve: () => void }[] = [];
  const done = () => {
    const total = result.ok + result.failed;
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i] as { target: number; resolve: () => void };
      if (total >= w.target) {
        waiters.splice(i, 1);
        w.resolve();
      }
    }
  };
  const worker = async () => {
    while (running) {
      result.sent++;
      try {
        const upstream = await send();
        result.ok++;
        if (upstream) result.byUpstream.set(upstream, (result.byUpstream.get(upstream) ?? 0) + 1);
      } catch (err) {
        result.failed++;
        result.errors.push(err);
      }
      done();
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    result,
    completed(n) {
      return new Promise((resolve) => {
        waiters.push({ target: result.ok + result.failed + n, resolve });
        done();
      });
    },
    async stop() {
      running = false;
      await Promise.all(workers);
      return result;
    },
  };
}

/** Resolves when `predicate` holds, checking every `everyMs`; rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000, everyMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
