// Issue #2 §5: a fully failing upstream never sees a retry storm: the retries it receives stay
// within the budget (ratio x requests + minRetriesPerSecond x ttl), counted at the upstream.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, InmeshError, type Mesh } from '../../src/index.js';
import { recordingLogger } from '../helpers/quiet.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const RATIO = 0.2;
const MIN_PER_SECOND = 1;
const TTL_SECONDS = 10;
const CALLS = 300;

describe('retry budget', () => {
  let failing: Upstream;
  let mesh: Mesh;
  beforeAll(async () => {
    failing = await startUpstream('failing');
    failing.behaviour = 'fail503';
    mesh = await createMesh({
      logger: recordingLogger(),
      config: {
        discovery: [{ static: { payments: [failing.address], dead: ['127.0.0.1:1'] } }],
        defaults: {
          retries: {
            attempts: 5,
            on: ['connect-failure', 503],
            backoff: { base: '1ms', max: '2ms' },
            budget: { ratio: RATIO, minRetriesPerSecond: MIN_PER_SECOND, ttl: `${TTL_SECONDS}s` },
          },
          // Measure the budget alone: no breaker or ejection to stop traffic first.
          circuitBreaker: false,
          outlierDetection: false,
        },
        services: { payments: {}, dead: {} },
      },
    });
  });
  afterAll(async () => {
    await mesh?.close();
    await failing?.stop();
  });

  it('keeps retries to a failing upstream within ratio x requests + floor', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const res = await request('http://payments/charge', { dispatcher: mesh.dispatcher });
      await res.body.dump();
      statuses.push(res.statusCode);
    }
    // Every call got the upstream's answer (the last attempt's 503), none hung or crashed.
    expect(statuses.every((s) => s === 503)).toBe(true);
    const retries = failing.hits.length - CALLS;
    const allowed = RATIO * CALLS + MIN_PER_SECOND * TTL_SECONDS;
    expect(retries).toBeGreaterThan(0);
    expect(retries).toBeLessThanOrEqual(allowed);
    // Without the budget, 4 retries per call would have been sent.
    expect(failing.hits.length).toBeLessThan(CALLS * 5);
  });

  it('reports ERR_RETRY_BUDGET_EXHAUSTED with the last failure as cause', async () => {
    const codes = new Set<string>();
    for (let i = 0; i < 40; i++) {
      try {
        const res = await request('http://dead/x', { dispatcher: mesh.dispatcher });
        await res.body.dump();
      } catch (err) {
        expect(err).toBeInstanceOf(InmeshError);
        codes.add((err as InmeshError).code);
        if ((err as InmeshError).code === 'ERR_RETRY_BUDGET_EXHAUSTED') {
          expect(((err as InmeshError).cause as InmeshError).code).toBe('ERR_UPSTREAM_CONNECT');
        }
      }
    }
    expect(codes.has('ERR_RETRY_BUDGET_EXHAUSTED')).toBe(true);
  });
});
