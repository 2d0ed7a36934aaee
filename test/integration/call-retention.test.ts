// A call's objects must not outlive it. Callers keep the abort function they are handed (Node's
// fetch keeps it on its controller until its response is collected), and undici's request keeps
// its handler: a call still reachable from either would be copied and promoted by every
// young-generation collection it survives, which measured as several percent of fetch's
// throughput. The caller's header object stands for the call's state: the mesh's copy of the
// options holds it, so it stays collectable only if nothing of the call is still reachable.
import type { Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, type Mesh } from '../../src/index.js';
import { collectGarbage } from '../helpers/gc.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

/** Runs one call, keeping only the abort function the handler was given; resolves with it. */
function callKeepingAbort(mesh: Mesh, path: string, headers: WeakRef<Record<string, string>>): Promise<(err?: Error) => void> {
  return new Promise((resolve, reject) => {
    let abort: ((err?: Error) => void) | undefined;
    const handler: Dispatcher.DispatchHandler = {
      onConnect: (fn: (err?: Error) => void) => {
        abort = fn;
      },
      onHeaders: () => true,
      onData: () => true,
      onComplete: () => resolve(abort as (err?: Error) => void),
      onError: reject,
    } as Dispatcher.DispatchHandler;
    mesh.dispatcher.dispatch(
      { origin: 'http://payments', path, method: 'GET', headers: headers.deref() as Record<string, string> },
      handler,
    );
  });
}

describe('a finished call', () => {
  let upstream: Upstream;
  let plain: Mesh;
  let retrying: Mesh;
  beforeAll(async () => {
    upstream = await startUpstream('payments');
    const discovery = [{ static: { payments: [upstream.address] } }];
    plain = await createMesh({ config: { discovery, services: { payments: { retries: { attempts: 1 } } } } });
    retrying = await createMesh({
      config: { discovery, services: { payments: { timeout: '5s', retries: { attempts: 3, perTryTimeout: '2s' } } } },
    });
  });
  afterAll(async () => {
    await plain?.close();
    await retrying?.close();
    await upstream?.stop();
  });

  for (const [name, mesh] of [
    ['one attempt, no timeout', () => plain],
    ['retries, per-try timeout and deadline', () => retrying],
  ] as const) {
    it(`is not kept alive by the abort function its caller keeps (${name})`, async () => {
      // Created in a frame of its own: only the WeakRef leaves it.
      const headers = ((): WeakRef<Record<string, string>> => new WeakRef({ 'x-probe': name }))();
      const abort = await callKeepingAbort(mesh(), '/retention', headers);
      expect(upstream.hits.at(-1)?.headers['x-probe']).toBe(name);
      await collectGarbage();
      expect(headers.deref()).toBeUndefined();
      // Calling the kept abort after the end does nothing, and throws nothing.
      expect(() => abort(new Error('late'))).not.toThrow();
    });
  }
});
