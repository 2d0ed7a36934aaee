// Timeouts and deadlines: the call's remaining budget travels in x-inmesh-timeout-ms; a call
// past its deadline fails with ERR_DEADLINE_EXCEEDED, through fetch as TypeError with cause.

import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, DEADLINE_HEADER, InmeshError, type Mesh, runWithContext } from '../../src/index.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

describe('deadlines', () => {
  let up: Upstream;
  let slow: Upstream;
  let flaky: Upstream;
  let mesh: Mesh;
  beforeAll(async () => {
    up = await startUpstream('up');
    slow = await startUpstream('slow');
    slow.behaviour = 'hang';
    flaky = await startUpstream('flaky');
    mesh = await createMesh({
      config: {
        discovery: [{ static: { payments: [up.address], slow: [slow.address], flaky: [flaky.address], delayed: [up.address] } }],
        services: {
          payments: { timeout: '2s' },
          // The first attempt takes 200ms: the retry's header must say what is left then.
          flaky: { timeout: '2s', retries: { attempts: 2, on: [503] } },
          delayed: { timeout: '2s', routes: [{ fault: { delay: { percent: 100, fixedDelay: '200ms' } } }] },
          slow: { timeout: '150ms', routes: [{ match: { path: '/longer' }, timeout: '300ms' }] },
        },
      },
    });
  });
  afterAll(async () => {
    await mesh?.close();
    await up?.stop();
    await slow?.stop();
    await flaky?.stop();
  });

  it('sends the remaining budget to the callee', async () => {
    const res = await request('http://payments/charge', { dispatcher: mesh.dispatcher });
    await res.body.dump();
    const sent = Number(up.hits.at(-1)?.headers[DEADLINE_HEADER]);
    expect(sent).toBeGreaterThan(1900);
    expect(sent).toBeLessThanOrEqual(2000);
  });

  it('sends a retry what is left of the budget after the first attempt and the back-off', async () => {
    let calls = 0;
    flaky.handler = (req, res) => {
      req.resume();
      if (++calls === 1) setTimeout(() => res.writeHead(503).end(), 200);
      else res.end('ok');
    };
    const res = await request('http://flaky/charge', { dispatcher: mesh.dispatcher });
    await res.body.dump();
    expect(res.statusCode).toBe(200);
    const [first, retry] = flaky.hits.slice(-2).map((hit) => Number(hit.headers[DEADLINE_HEADER]));
    expect(first).toBeGreaterThan(1900);
    expect(retry).toBeLessThanOrEqual((first as number) - 200);
  });

  it('counts an injected delay against the budget it sends', async () => {
    const res = await request('http://delayed/charge', { dispatcher: mesh.dispatcher });
    await res.body.dump();
    const sent = Number(up.hits.at(-1)?.headers[DEADLINE_HEADER]);
    expect(sent).toBeGreaterThan(1500);
    expect(sent).toBeLessThanOrEqual(1800);
  });

  it('inherits a shorter deadline from the inbound request context', async () => {
    await runWithContext({ deadlineAt: performance.now() + 500 }, async () => {
      const res = await request('http://payments/charge', { dispatcher: mesh.dispatcher });
      await res.body.dump();
    });
    const sent = Number(up.hits.at(-1)?.headers[DEADLINE_HEADER]);
    expect(sent).toBeGreaterThan(400);
    expect(sent).toBeLessThanOrEqual(500);
  });

  it('fails with ERR_DEADLINE_EXCEEDED when the upstream hangs', async () => {
    const started = performance.now();
    const err = await request('http://slow/x', { dispatcher: mesh.dispatcher }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const took = performance.now() - started;
    expect((err as InmeshError).code).toBe('ERR_DEADLINE_EXCEEDED');
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(1000);
  });

  it('applies the route timeout over the service timeout', async () => {
    const started = performance.now();
    await request('http://slow/longer', { dispatcher: mesh.dispatcher }).catch(() => undefined);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('reaches fetch callers as TypeError("fetch failed") with the InmeshError as cause', async () => {
    const err = await mesh.fetch('http://slow/x').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toBe('fetch failed');
    expect((err as Error).cause).toBeInstanceOf(InmeshError);
    expect(((err as Error).cause as InmeshError).code).toBe('ERR_DEADLINE_EXCEEDED');
  });
});
