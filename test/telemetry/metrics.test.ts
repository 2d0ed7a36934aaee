// Issue #4 §2: Prometheus metrics with OTel semconv names and bounded labels: client and server
// durations, retries, ejections, endpoints by state, in-flight, reloads, authorization denials,
// shed requests; 10,000 distinct paths keep the series count flat.

import { Registry } from 'prom-client';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, type Mesh } from '../../src/index.js';
import { MeshMetrics } from '../../src/telemetry/metrics.js';
import { type MeshService, startMeshService, whoami } from '../helpers/mesh-service.js';
import { recordingLogger } from '../helpers/quiet.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

/** Number of series in the registry's exposition (non-comment lines). */
async function seriesCount(registry: Registry): Promise<number> {
  return (await registry.metrics()).split('\n').filter((line) => line && !line.startsWith('#')).length;
}

describe('metrics', () => {
  let up: Upstream;
  let failing: Upstream;
  let server: MeshService;
  let mesh: Mesh;
  const registry = new Registry();

  beforeAll(async () => {
    up = await startUpstream('up');
    failing = await startUpstream('failing');
    failing.behaviour = 'fail503';
    server = await startMeshService(
      { service: 'api', inbound: { authorization: [{ name: 'no-admin', action: 'deny', paths: ['/admin/*'] }] } },
      whoami('api'),
    );
    mesh = await createMesh({
      logger: recordingLogger(),
      registry,
      config: {
        service: 'checkout',
        discovery: [{ static: { payments: [up.address], flaky: [failing.address], api: [server.address] } }],
        services: {
          flaky: {
            retries: { attempts: 3, on: [503], backoff: { base: '1ms', max: '1ms' } },
            outlierDetection: { consecutive5xxErrors: 2 },
          },
        },
      },
    });
  });
  afterAll(async () => {
    await mesh?.close();
    await server?.close();
    await up?.stop();
    await failing?.stop();
  });

  it('records client calls with semconv names and bounded labels, in the registry given', async () => {
    const res = await request('http://payments/charge/123', { dispatcher: mesh.dispatcher, method: 'POST', body: '{}' });
    await res.body.dump();
    const text = await registry.metrics();
    expect(text).toContain('# TYPE http_client_request_duration_seconds histogram');
    expect(text).toMatch(
      /http_client_request_duration_seconds_count\{service="checkout",peer_service="payments",route="default",subset="",method="POST",status_code="200"\} 1/,
    );
    // semconv bucket boundaries
    expect(text).toContain('le="0.005"');
    expect(text).toContain('le="10"');
    // never the raw path
    expect(text).not.toContain('/charge/123');
    expect(mesh.metrics).toBe(registry);
  });

  it('counts retries, breaker state and endpoints by state', async () => {
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) {
      try {
        const res = await request('http://flaky/x', { dispatcher: mesh.dispatcher });
        await res.body.dump();
        codes.push(String(res.statusCode));
      } catch (err) {
        codes.push((err as { code: string }).code);
      }
    }
    // The first call's three 503s and the second call's next two open the only endpoint's
    // circuit (5 requests, > 20% failing): from then on calls fail fast.
    expect(codes[0]).toBe('503');
    expect(codes.at(-1)).toBe('ERR_CIRCUIT_OPEN');
    const text = await registry.metrics();
    expect(text).toMatch(/inmesh_retries_total\{peer_service="flaky",subset=""\} [1-9]/);
    expect(text).toContain(`inmesh_circuit_state{peer_service="flaky",endpoint="${failing.address}"} 2`);
    expect(text).toMatch(/inmesh_endpoints\{peer_service="flaky",state="circuit-open"\} 1/);
    expect(text).toMatch(/inmesh_endpoints\{peer_service="payments",state="healthy"\} 1/);
    expect(text).toMatch(/inmesh_requests_in_flight\{direction="outbound"\} 0/);
  });

  it('records the server side: durations, denials', async () => {
    for (const path of ['/ok', '/admin/users']) {
      const res = await request(`http://api${path}`, { dispatcher: mesh.dispatcher });
      await res.body.dump();
    }
    const text = await server.mesh.metrics.metrics();
    expect(text).toMatch(/http_server_request_duration_seconds_count\{service="api",route="",method="GET",status_code="200"\} 1/);
    expect(text).toMatch(/http_server_request_duration_seconds_count\{service="api",route="",method="GET",status_code="403"\} 1/);
    expect(text).toMatch(/inmesh_authorization_denials_total\{policy="no-admin",dry_run="false"\} 1/);
  });

  it('keeps the series count flat over 10,000 distinct paths and odd methods', async () => {
    const warm = async (n: number, offset: number) => {
      for (let i = 0; i < n; i += 100) {
        await Promise.all(
          Array.from({ length: 100 }, async (_, j) => {
            const res = await request(`http://api/items/${offset + i + j}?q=${offset + i + j}`, {
              dispatcher: mesh.dispatcher,
              method: j % 10 === 0 ? `X-CUSTOM-${offset + i + j}` : 'GET',
            });
            await res.body.dump();
          }),
        );
      }
    };
    await warm(200, 0);
    const clientBefore = await seriesCount(registry);
    const serverBefore = await seriesCount(server.mesh.metrics);
    await warm(10_000, 1_000_000);
    expect(await seriesCount(registry)).toBe(clientBefore);
    expect(await seriesCount(server.mesh.metrics)).toBe(serverBefore);
  });
});

describe('MeshMetrics.clientCall', () => {
  it('counts each call in the series of its own labels, however calls alternate', async () => {
    const registry = new Registry();
    const metrics = new MeshMetrics(registry, { endpointStates: () => [], certificateExpirySeconds: () => undefined });
    // Six label sets (more than the recent-series cache holds), called in an interleaved order.
    const labels = [
      ['v1', 200],
      ['v2', 200],
      ['v1', 503],
      ['v2', 503],
      ['v3', 200],
      ['', 404],
    ] as const;
    const expected = new Map<string, number>();
    for (let i = 0; i < 600; i++) {
      const [subset, status] = labels[(i * 5 + (i >> 3)) % labels.length] as (typeof labels)[number];
      metrics.clientCall('checkout', 'payments', 'default', subset, 'GET', status, 0.001);
      const key = `subset="${subset}",method="GET",status_code="${status}"`;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    const text = await registry.metrics();
    for (const [key, count] of expected) {
      expect(text).toContain(
        `http_client_request_duration_seconds_count{service="checkout",peer_service="payments",route="default",${key}} ${count}`,
      );
    }
  });
});
