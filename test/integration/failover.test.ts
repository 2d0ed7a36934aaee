// Issue #2 §5: under a steady stream of GETs, an instance is killed, one returns 503, one
// hangs: the caller sees zero failures, the bad instance is ejected and later returns.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, type Mesh } from '../../src/index.js';
import { startLoad, waitFor } from '../helpers/load.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

describe.each(['round-robin', 'peak-ewma'] as const)('failover under steady load (%s)', (policy) => {
  const upstreams: Upstream[] = [];
  let mesh: Mesh;
  const ejected = new Set<string>();
  const returned = new Set<string>();

  beforeAll(async () => {
    for (const name of ['a', 'b', 'c']) upstreams.push(await startUpstream(name));
    mesh = await createMesh({
      config: {
        discovery: [{ static: { payments: upstreams.map((u) => u.address) } }],
        services: {
          payments: {
            loadBalancer: policy,
            retries: {
              attempts: 3,
              perTryTimeout: '150ms',
              on: ['connect-failure', 'reset', 'timeout', 503],
              budget: { minRetriesPerSecond: 50 },
            },
            outlierDetection: { consecutive5xxErrors: 3, consecutiveGatewayErrors: 3, baseEjectionTime: '400ms', maxEjectionPercent: 67 },
            circuitBreaker: { resetTimeout: '300ms' },
          },
        },
      },
    });
    mesh.on('ejection', (e) => (e.ejected ? ejected : returned).add(e.endpoint.id));
  });
  afterAll(async () => {
    await mesh?.close();
    for (const u of upstreams) await u.stop().catch(() => {});
  });

  it('keeps every GET alive while instances die, fail and hang', async () => {
    const [a, b, c] = upstreams as [Upstream, Upstream, Upstream];
    const load = startLoad(async () => {
      const res = await request('http://payments/status', { dispatcher: mesh.dispatcher });
      const body = (await res.body.json()) as { upstream?: string };
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
      return body.upstream;
    });
    try {
      await load.completed(50);

      // 1. Kill one instance: connection refused, retried elsewhere, ejected.
      await a.stop();
      await waitFor(() => ejected.has(a.address), 'the killed instance to be ejected');
      await load.completed(50);

      // 2. Another answers 503: retried elsewhere, ejected.
      b.behaviour = 'fail503';
      await waitFor(() => ejected.has(b.address), 'the 503 instance to be ejected');
      await load.completed(50);

      // Both recover; both come back into rotation.
      b.behaviour = 'ok';
      await a.restart();
      await waitFor(() => returned.has(a.address) && returned.has(b.address), 'both instances to return');
      const servedBefore = { a: load.result.byUpstream.get('a') ?? 0, b: load.result.byUpstream.get('b') ?? 0 };
      await waitFor(
        () => (load.result.byUpstream.get('a') ?? 0) > servedBefore.a && (load.result.byUpstream.get('b') ?? 0) > servedBefore.b,
        'traffic to reach the returned instances',
      );

      // 3. The third hangs: per-try timeouts, retried elsewhere. Round-robin keeps sending to
      // it until outlier detection ejects it; peak-EWMA sees the timeout as latency and stops
      // choosing it after the first one (it is probed again once that latency decays).
      c.behaviour = 'hang';
      if (policy === 'round-robin') {
        await waitFor(() => ejected.has(c.address), 'the hanging instance to be ejected');
        await load.completed(50);
        c.behaviour = 'ok';
        await waitFor(() => returned.has(c.address), 'the hanging instance to return');
      } else {
        await waitFor(() => c.hits.length > 0 && ejected.has(c.address) === false, 'a request to reach the hanging instance');
        await load.completed(20);
        const hitsAfterFirstTimeouts = c.hits.length;
        await load.completed(200);
        expect(c.hits.length - hitsAfterFirstTimeouts).toBeLessThanOrEqual(5);
        c.behaviour = 'ok';
      }
      await load.completed(20);
    } finally {
      await load.stop();
    }
    expect(load.result.errors.slice(0, 3)).toEqual([]);
    expect(load.result.failed).toBe(0);
    expect(load.result.ok).toBeGreaterThan(250);
  });
});
