// Issue #3 §6: a rolling restart under steady load: each instance drains (readiness false,
// listener closed, requests in progress finished) and comes back on its port. The caller sees
// zero failures (its retries cover the refused connections) and no accepted request is lost.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, type Mesh } from '../../src/index.js';
import { startLoad } from '../helpers/load.js';
import { type MeshService, startMeshService } from '../helpers/mesh-service.js';
import { recordingLogger } from '../helpers/quiet.js';

describe('rolling restart', () => {
  const accepted: { n: number; finished: number } = { n: 0, finished: 0 };
  const instances: MeshService[] = [];
  let client: Mesh;

  const start = (name: string, port = 0) =>
    startMeshService(
      { service: 'api', inbound: { drain: { timeout: '5s' } } },
      (req, res) => {
        accepted.n++;
        res.on('finish', () => accepted.finished++);
        req.resume();
        // A little work, so that requests are in progress when the drain starts.
        setTimeout(() => res.end(name), 5 + Math.random() * 10);
      },
      port,
    );

  beforeAll(async () => {
    instances.push(await start('one'), await start('two'));
    client = await createMesh({
      logger: recordingLogger(),
      config: {
        discovery: [{ static: { api: instances.map((i) => i.address) } }],
        services: {
          api: {
            retries: { attempts: 3, on: ['connect-failure', 'refused-stream', 'reset'], backoff: { base: '5ms', max: '20ms' } },
            // Restarts are planned: don't let them trip the breaker or eject.
            outlierDetection: false,
            circuitBreaker: false,
          },
        },
      },
    });
  });
  afterAll(async () => {
    await client?.close();
    for (const i of instances) await i.close();
  });

  it('loses nothing and fails nothing', async () => {
    const load = startLoad(async () => {
      const res = await request('http://api/work', { dispatcher: client.dispatcher });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${text}`);
      return text;
    }, 8);
    let drainedInProgress = 0;
    try {
      await load.completed(100);
      for (let i = 0; i < instances.length; i++) {
        const old = instances[i] as MeshService;
        const port = old.port;
        drainedInProgress += old.server.inFlight;
        await old.close(); // drain: requests in progress finish
        expect(old.server.inFlight).toBe(0);
        instances[i] = await start(`${i === 0 ? 'one' : 'two'}-new`, port);
        await load.completed(100);
      }
    } finally {
      await load.stop();
    }
    expect(load.result.errors.slice(0, 3)).toEqual([]);
    expect(load.result.failed).toBe(0);
    // The drains did have requests in progress to finish, and every accepted request was answered.
    expect(drainedInProgress).toBeGreaterThan(0);
    expect(accepted.finished).toBe(accepted.n);
    expect(load.result.byUpstream.get('one-new')).toBeGreaterThan(0);
    expect(load.result.byUpstream.get('two-new')).toBeGreaterThan(0);
  });
});
