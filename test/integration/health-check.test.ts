// Active health checks: an endpoint whose health path fails stops taking traffic, and takes it
// again when it passes.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, type Mesh } from '../../src/index.js';
import { waitFor } from '../helpers/load.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

describe('active health checks', () => {
  let good: Upstream;
  let sick: Upstream;
  let sickHealthy = false;
  let mesh: Mesh;
  beforeAll(async () => {
    good = await startUpstream('good');
    sick = await startUpstream('sick');
    sick.handler = (req, res) => {
      if (req.url === '/healthz') {
        res.statusCode = sickHealthy ? 200 : 500;
        return void res.end();
      }
      res.end(JSON.stringify({ upstream: 'sick' }));
    };
    mesh = await createMesh({
      config: {
        discovery: [{ static: { api: [good.address, sick.address] } }],
        services: {
          api: {
            loadBalancer: 'round-robin',
            healthCheck: { path: '/healthz', interval: '50ms', timeout: '200ms', unhealthyThreshold: 1, healthyThreshold: 1 },
          },
        },
      },
    });
  });
  afterAll(async () => {
    await mesh?.close();
    await good?.stop();
    await sick?.stop();
  });

  const state = (address: string) => mesh.status()[0]?.endpoints.find((e) => e.id === address)?.state;

  it('excludes an endpoint while its health check fails, and brings it back', async () => {
    await waitFor(() => state(sick.address) === 'unhealthy', 'the sick endpoint to be marked unhealthy');
    const appHits = () => sick.hits.filter((h) => h.path !== '/healthz').length;
    const before = appHits();
    for (let i = 0; i < 20; i++) {
      const res = await request('http://api/x', { dispatcher: mesh.dispatcher });
      await res.body.dump();
    }
    expect(appHits()).toBe(before);

    sickHealthy = true;
    await waitFor(() => state(sick.address) === 'healthy', 'the endpoint to pass again');
    for (let i = 0; i < 20; i++) {
      const res = await request('http://api/x', { dispatcher: mesh.dispatcher });
      await res.body.dump();
    }
    expect(appHits()).toBeGreaterThan(before);
  });
});
