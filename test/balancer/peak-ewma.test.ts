import { describe, expect, it } from 'vitest';
import { peakEwma } from '../../src/balancer/peak-ewma.js';
import type { Endpoint } from '../../src/discovery/endpoint.js';
import { context, endpoints, setBlocked, tally } from '../helpers/endpoints.js';
import { ManualClock, seededRandom } from '../helpers/manual-clock.js';

const DECAY_MS = 10_000;

function setup(options: { decay?: number; defaultRtt?: number } = { decay: DECAY_MS, defaultRtt: 30 }) {
  const clock = new ManualClock();
  const balancer = peakEwma.create(options, { clock, random: seededRandom(3) });
  const list = endpoints(2);
  return { clock, balancer, list, a: list[0] as Endpoint, b: list[1] as Endpoint, picker: balancer.picker(list) };
}

describe('peak-ewma', () => {
  describe('observe', () => {
    it('takes the first observation as it is', () => {
      const { balancer, a, clock } = setup();
      balancer.observe?.(a, 40, clock.now());
      expect(a.rttMs).toBe(40);
      expect(a.observedAt).toBe(clock.now());
    });

    it('jumps at once to a slower observation (the peak)', () => {
      const { balancer, a, clock } = setup();
      balancer.observe?.(a, 10, clock.now());
      clock.advance(1);
      balancer.observe?.(a, 500, clock.now());
      expect(a.rttMs).toBe(500);
    });

    it('moves toward a faster observation by how long ago the last one was', () => {
      const { balancer, a, clock } = setup();
      balancer.observe?.(a, 100, clock.now());
      clock.advance(DECAY_MS);
      balancer.observe?.(a, 10, clock.now());
      // weight of the old value: e^(-elapsed/decay) = e^-1
      expect(a.rttMs).toBeCloseTo(100 * Math.exp(-1) + 10 * (1 - Math.exp(-1)), 6);
    });

    it('barely moves on a faster observation right after the last one', () => {
      const { balancer, a, clock } = setup();
      balancer.observe?.(a, 100, clock.now());
      balancer.observe?.(a, 10, clock.now());
      expect(a.rttMs).toBe(100);
    });

    it('uses the default decay of 10s when none is configured', () => {
      const { balancer, a, clock } = setup({});
      balancer.observe?.(a, 100, clock.now());
      clock.advance(10_000);
      balancer.observe?.(a, 0, clock.now());
      expect(a.rttMs).toBeCloseTo(100 * Math.exp(-1), 6);
    });
  });

  describe('pick', () => {
    it('prefers the faster endpoint', () => {
      const { balancer, a, b, picker, clock } = setup();
      balancer.observe?.(a, 50, clock.now());
      balancer.observe?.(b, 10, clock.now());
      expect(tally(100, () => picker.pick(context())).get(b)).toBe(100);
    });

    it('costs an unmeasured endpoint at the default RTT', () => {
      const { balancer, a, b, picker, clock } = setup({ decay: DECAY_MS, defaultRtt: 30 });
      balancer.observe?.(a, 29, clock.now());
      expect(picker.pick(context())).toBe(a);
      balancer.observe?.(a, 31, clock.now());
      expect(picker.pick(context())).toBe(b);
    });

    it('multiplies latency by load: a fast but busy endpoint loses', () => {
      const { balancer, a, b, picker, clock } = setup();
      balancer.observe?.(a, 10, clock.now());
      balancer.observe?.(b, 25, clock.now());
      a.pending = 2; // 10 x 3 = 30 > 25 x 1
      expect(picker.pick(context())).toBe(b);
      a.pending = 1; // 10 x 2 = 20 < 25
      expect(picker.pick(context())).toBe(a);
    });

    it('divides cost by weight', () => {
      const { balancer, a, b, picker, clock } = setup();
      balancer.observe?.(a, 10, clock.now());
      balancer.observe?.(b, 30, clock.now());
      b.weight = 4; // 30 / 4 = 7.5 < 10
      expect(picker.pick(context())).toBe(b);
    });

    it('gives a slow endpoint another chance once its record has decayed', () => {
      const { balancer, clock, a, b, picker } = setup({ decay: DECAY_MS, defaultRtt: 30 });
      balancer.observe?.(a, 300, clock.now());
      expect(picker.pick(context())).toBe(b); // 300 vs the default 30
      clock.advance(3 * DECAY_MS); // 300 x e^-3 = 14.9 < 30
      expect(picker.pick(context())).toBe(a);
    });

    it('skips an unavailable endpoint and avoids a tried one', () => {
      const { balancer, a, b, picker, clock } = setup();
      balancer.observe?.(a, 1, clock.now());
      balancer.observe?.(b, 1000, clock.now());
      expect(picker.pick(context({ tried: [a] }))).toBe(b);
      setBlocked(a, true);
      expect(picker.pick(context())).toBe(b);
    });
  });
});

describe('peak-ewma with decay 0 (accepted by the config schema)', () => {
  it('keeps latency a number, and forgets it almost at once', () => {
    const { balancer, clock, a, b, picker } = setup({ decay: 0, defaultRtt: 30 });
    balancer.observe?.(a, 100, clock.now());
    balancer.observe?.(a, 10, clock.now()); // at the same instant: 0 / 0 without a floor on the decay
    expect(Number.isFinite(a.rttMs)).toBe(true);
    clock.advance(5);
    balancer.observe?.(b, 50, clock.now());
    expect(picker.pick(context())).toBe(a); // 5 ms idle is a long time at a 1 ms decay
  });
});
