import * as v from 'valibot';
import { afterEach, describe, expect, it } from 'vitest';
import type { EndpointUpdate } from '../../src/discovery/resolver.js';
import { staticResolver } from '../../src/discovery/static.js';
import { createMesh, type Mesh, type MeshConfig } from '../../src/index.js';
import { recordingLogger } from '../helpers/quiet.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';
import { Cleanup } from '../helpers/wait.js';

describe('static resolver', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  async function upstream(name: string): Promise<Upstream> {
    const server = await startUpstream(name);
    cleanup.add(() => server.stop());
    return server;
  }

  async function meshWith(config: MeshConfig): Promise<Mesh> {
    const mesh = await createMesh({ config, logger: recordingLogger() });
    cleanup.add(() => mesh.close({ force: true }));
    return mesh;
  }

  async function call(mesh: Mesh, service: string): Promise<string> {
    const res = await mesh.fetch(`http://${service}/x`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { upstream: string }).upstream;
  }

  it('answers synchronously, with labels and weights, and serves only its names', () => {
    const resolver = staticResolver.create(
      v.parse(staticResolver.options, {
        payments: ['127.0.0.1:9001', { address: '[::1]:9002', labels: { version: 'v2' }, weight: 5 }],
      }),
      undefined as never,
    );
    const updates: EndpointUpdate[] = [];
    resolver.watch('payments', (u) => updates.push(u));
    expect(updates).toEqual([
      {
        endpoints: [
          { host: '127.0.0.1', port: 9001, labels: {}, weight: 1 },
          { host: '::1', port: 9002, labels: { version: 'v2' }, weight: 5 },
        ],
      },
    ]);
    expect(resolver.serves('payments')).toBe(true);
    expect(resolver.serves('orders')).toBe(false);
    expect([...resolver.knownServices()]).toEqual(['payments']);
  });

  it('routes to its endpoints, also for services not declared under services:', async () => {
    const a = await upstream('a');
    const o = await upstream('orders');
    const mesh = await meshWith({ discovery: [{ static: { payments: [a.address], orders: [o.address] } }], services: { payments: {} } });
    expect(await call(mesh, 'payments')).toBe('a');
    expect(await call(mesh, 'orders')).toBe('orders');
  });

  it('the first source that serves a service provides its endpoints', async () => {
    const a = await upstream('a');
    const b = await upstream('b');
    const mesh = await meshWith({ discovery: [{ static: { payments: [a.address] } }, { static: { payments: [b.address] } }] });
    expect(mesh.endpointsOf('payments')?.endpoints.map((e) => e.id)).toEqual([a.address]);
    expect(await call(mesh, 'payments')).toBe('a');
  });

  it('a malformed address fails createMesh with ERR_CONFIG_INVALID naming its path', async () => {
    await expect(meshWith({ discovery: [{ static: { payments: ['localhost'] } }] })).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      message: expect.stringMatching(/discovery\[0\]\.static\.payments\[0\][\s\S]*expected host:port/),
    });
  });
});
