// Retry-After: a 503 that says when to come back is retried no sooner; one that says "later than
// retries.maxRetryAfter" is returned to the caller at once instead of waited for.
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, type Mesh } from '../../src/index.js';
import { recordingLogger } from '../helpers/quiet.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

describe('Retry-After', () => {
  let up: Upstream;
  let mesh: Mesh;
  let retryAfter = '1';
  let failuresLeft = 0;

  beforeAll(async () => {
    up = await startUpstream('up');
    up.handler = (req, res) => {
      req.resume();
      if (failuresLeft > 0) {
        failuresLeft--;
        res.writeHead(503, { 'retry-after': retryAfter }).end('busy');
        return;
      }
      res.end('ok');
    };
    mesh = await createMesh({
      logger: recordingLogger(),
      config: {
        discovery: [{ static: { api: [up.address] } }],
        services: {
          api: {
            retries: { attempts: 2, on: [503], backoff: { base: '1ms', max: '1ms' }, maxRetryAfter: '2s' },
            circuitBreaker: false,
            outlierDetection: false,
          },
        },
      },
    });
  });
  afterAll(async () => {
    await mesh?.close();
    await up?.stop();
  });

  it('waits as long as the server asked before retrying', async () => {
    failuresLeft = 1;
    retryAfter = '1';
    const started = performance.now();
    const res = await request('http://api/x', { dispatcher: mesh.dispatcher });
    expect(await res.body.text()).toBe('ok');
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
  });

  it('returns the 503 at once when the server asks for longer than maxRetryAfter', async () => {
    failuresLeft = 1;
    retryAfter = '30';
    const hitsBefore = up.hits.length;
    const started = performance.now();
    const res = await request('http://api/x', { dispatcher: mesh.dispatcher });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('30');
    await res.body.dump();
    expect(performance.now() - started).toBeLessThan(500);
    expect(up.hits.length - hitsBefore).toBe(1);
  });
});
