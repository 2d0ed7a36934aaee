// Issue #2 §5: a 90/10 split lands within ±3% over 2,000 requests; the canary header always
// reaches v2.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, type Mesh } from '../../src/index.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

describe('traffic split', () => {
  const ups: Upstream[] = [];
  let mesh: Mesh;
  beforeAll(async () => {
    const [v1a, v1b, v2] = [await startUpstream('v1a'), await startUpstream('v1b'), await startUpstream('v2')];
    ups.push(v1a, v1b, v2);
    mesh = await createMesh({
      config: {
        discovery: [
          {
            static: {
              payments: [
                { address: v1a.address, labels: { version: 'v1' } },
                { address: v1b.address, labels: { version: 'v1' } },
                { address: v2.address, labels: { version: 'v2' } },
              ],
            },
          },
        ],
        services: {
          payments: {
            subsets: { v1: { version: 'v1' }, v2: { version: 'v2' } },
            routes: [
              { name: 'canary', match: { headers: { 'x-canary': 'true' } }, to: [{ subset: 'v2' }] },
              {
                name: 'split',
                to: [
                  { subset: 'v1', weight: 90 },
                  { subset: 'v2', weight: 10 },
                ],
              },
            ],
          },
        },
      },
    });
  });
  afterAll(async () => {
    await mesh?.close();
    for (const u of ups) await u.stop();
  });

  async function callVersion(headers: Record<string, string> = {}): Promise<string> {
    const res = await request('http://payments/charge', { dispatcher: mesh.dispatcher, headers });
    const body = (await res.body.json()) as { upstream: string };
    return body.upstream.startsWith('v1') ? 'v1' : 'v2';
  }

  it('splits 90/10 within ±3% over 2,000 requests', async () => {
    const counts = { v1: 0, v2: 0 } as Record<string, number>;
    const batch = 50;
    for (let i = 0; i < 2000; i += batch) {
      const versions = await Promise.all(Array.from({ length: batch }, () => callVersion()));
      for (const v of versions) counts[v] = (counts[v] ?? 0) + 1;
    }
    const share = (counts.v2 ?? 0) / 2000;
    expect(share).toBeGreaterThanOrEqual(0.07);
    expect(share).toBeLessThanOrEqual(0.13);
  });

  it('always sends the canary header to v2', async () => {
    const versions = await Promise.all(Array.from({ length: 200 }, () => callVersion({ 'x-canary': 'true' })));
    expect(new Set(versions)).toEqual(new Set(['v2']));
  });
});
