// Routing features end to end: matches on path, method and query; fault injection (abort and
// delay); mirroring with the "-shadow" authority; ring-hash stickiness.
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, type Mesh } from '../../src/index.js';
import { waitFor } from '../helpers/load.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

describe('routing', () => {
  const ups: Record<string, Upstream> = {};
  let mesh: Mesh;
  beforeAll(async () => {
    for (const name of ['v1', 'v2', 'shadow', 's1', 's2', 's3']) ups[name] = await startUpstream(name);
    const u = ups as Record<string, Upstream>;
    mesh = await createMesh({
      config: {
        discovery: [
          {
            static: {
              orders: [
                { address: u.v1?.address as string, labels: { version: 'v1' } },
                { address: u.v2?.address as string, labels: { version: 'v2' } },
              ],
              audit: [u.shadow?.address as string],
              sessions: [u.s1?.address as string, u.s2?.address as string, u.s3?.address as string],
            },
          },
        ],
        services: {
          orders: {
            subsets: { v1: { version: 'v1' }, v2: { version: 'v2' } },
            routes: [
              { match: { path: '/admin/*', methods: ['DELETE'] }, to: [{ subset: 'v2' }] },
              { match: { query: { beta: '1' } }, to: [{ subset: 'v2' }] },
              { match: { path: { regex: '^/broken/\\d+$' } }, fault: { abort: { httpStatus: 418 } } },
              { match: { path: '/slow' }, fault: { delay: { fixedDelay: '120ms' } }, to: [{ subset: 'v1' }] },
              { match: { path: '/mirrored' }, to: [{ subset: 'v1' }], mirror: { service: 'audit' } },
              { to: [{ subset: 'v1' }] },
            ],
          },
          sessions: { loadBalancer: { policy: 'ring-hash', hashOn: { header: 'x-user' } } },
        },
      },
    });
  });
  afterAll(async () => {
    await mesh?.close();
    for (const u of Object.values(ups)) await u.stop();
  });

  async function upstreamOf(path: string, init: Parameters<typeof request>[1] = {}): Promise<string> {
    const res = await request(`http://orders${path}`, { dispatcher: mesh.dispatcher, ...init });
    return ((await res.body.json()) as { upstream: string }).upstream;
  }

  it('matches path prefix and method', async () => {
    expect(await upstreamOf('/admin/users/1', { method: 'DELETE' })).toBe('v2');
    expect(await upstreamOf('/admin/users/1')).toBe('v1');
  });

  it('matches query parameters', async () => {
    expect(await upstreamOf('/list?beta=1')).toBe('v2');
    expect(await upstreamOf('/list?beta=0')).toBe('v1');
  });

  it('injects an abort fault with the configured status', async () => {
    const res = await request('http://orders/broken/42', { dispatcher: mesh.dispatcher });
    await res.body.dump();
    expect(res.statusCode).toBe(418);
    expect(res.headers['x-inmesh-fault']).toBe('abort');
  });

  it('injects a delay fault', async () => {
    const started = performance.now();
    expect(await upstreamOf('/slow')).toBe('v1');
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('mirrors a copy with a -shadow authority, without affecting the caller', async () => {
    const shadow = ups.shadow as Upstream;
    const before = shadow.hits.length;
    expect(await upstreamOf('/mirrored', { method: 'POST', body: 'copy me' })).toBe('v1');
    await waitFor(() => shadow.hits.length > before, 'the mirrored copy to arrive');
    const copy = shadow.hits.at(-1);
    expect(copy?.headers.host).toBe('orders-shadow');
    expect(copy?.method).toBe('POST');
  });

  it('keeps a user on one endpoint with ring-hash', async () => {
    const target = async (user: string) => {
      const res = await request('http://sessions/cart', { dispatcher: mesh.dispatcher, headers: { 'x-user': user } });
      return ((await res.body.json()) as { upstream: string }).upstream;
    };
    const spread = new Set<string>();
    for (let u = 0; u < 20; u++) {
      const first = await target(`user-${u}`);
      spread.add(first);
      for (let i = 0; i < 5; i++) expect(await target(`user-${u}`)).toBe(first);
    }
    // Different users spread over more than one endpoint.
    expect(spread.size).toBeGreaterThan(1);
  });
});
