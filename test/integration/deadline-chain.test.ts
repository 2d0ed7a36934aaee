// Issue #3 §6: a deadline set by a caller is honoured two hops down. A calls B with a 300 ms
// timeout; B (an inmesh server) calls C with no timeout of its own, yet its call inherits what
// is left of A's deadline, without the application forwarding anything.
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, DEADLINE_HEADER, type InmeshError, type Mesh } from '../../src/index.js';
import { waitFor } from '../helpers/load.js';
import { type MeshService, startMeshService } from '../helpers/mesh-service.js';
import { recordingLogger } from '../helpers/quiet.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

describe('deadline propagation across two hops', () => {
  let c: Upstream;
  let b: MeshService;
  let a: Mesh;
  let bOutcome: { code?: string; tookMs: number; deadlineSeen: boolean } | undefined;

  beforeAll(async () => {
    c = await startUpstream('c');
    c.behaviour = 'hang';
    b = await startMeshService({ service: 'b', discovery: [{ static: { c: [c.address] } }] }, async (_req, res, mesh) => {
      const started = performance.now();
      const deadlineSeen = mesh.context()?.deadlineAt !== undefined;
      try {
        const r = await request('http://c/work', { dispatcher: mesh.dispatcher });
        await r.body.dump();
        res.end('done');
      } catch (err) {
        bOutcome = { code: (err as InmeshError).code, tookMs: performance.now() - started, deadlineSeen };
        if (!res.headersSent) res.writeHead(504).end();
      }
    });
    a = await createMesh({
      logger: recordingLogger(),
      config: { discovery: [{ static: { b: [b.address] } }], services: { b: { timeout: '300ms' } } },
    });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await c?.stop();
  });

  it('stops the second hop when the first caller gives up', async () => {
    const started = performance.now();
    const err = await request('http://b/start', { dispatcher: a.dispatcher }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const took = performance.now() - started;
    expect((err as InmeshError).code).toBe('ERR_DEADLINE_EXCEEDED');
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(800);

    // C was told how much time was left, less than A's 300 ms.
    const toC = Number(c.hits.at(-1)?.headers[DEADLINE_HEADER]);
    expect(toC).toBeGreaterThan(0);
    expect(toC).toBeLessThan(300);

    // B's own call failed on the inherited deadline, not after some default timeout.
    await waitFor(() => bOutcome !== undefined, "B's outbound call to fail");
    expect(bOutcome?.deadlineSeen).toBe(true);
    expect(bOutcome?.code).toBe('ERR_DEADLINE_EXCEEDED');
    expect(bOutcome?.tookMs).toBeLessThan(400);
  });
});
