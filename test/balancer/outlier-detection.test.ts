import { describe, expect, it } from 'vitest';
import { type EjectionEvent, type OutlierDetectionOptions, OutlierDetector } from '../../src/balancer/outlier-detection.js';
import type { Endpoint } from '../../src/discovery/endpoint.js';
import { classifyError, classifyStatus, type Outcome } from '../../src/resilience/outcome.js';
import { endpoints } from '../helpers/endpoints.js';
import { ManualClock } from '../helpers/manual-clock.js';

const OK = classifyStatus(200);
const NOT_FOUND = classifyStatus(404);
const ERROR_500 = classifyStatus(500);
const ERROR_503 = classifyStatus(503);
const REFUSED = classifyError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), 'not-sent');
const CANCELLED = classifyError(Object.assign(new Error('aborted'), { code: 'UND_ERR_ABORTED' }), 'sent');
const INVALID = classifyError(Object.assign(new Error('bad header'), { code: 'UND_ERR_INVALID_ARG' }), 'not-sent');

const BASE_MS = 30_000;
const INTERVAL_MS = 10_000;

function setup(options: Partial<OutlierDetectionOptions> = {}, n = 10) {
  const clock = new ManualClock();
  const list = endpoints(n);
  const events: EjectionEvent[] = [];
  const detector = new OutlierDetector(
    {
      consecutive5xxErrors: 5,
      consecutiveGatewayErrors: 0,
      intervalMs: INTERVAL_MS,
      baseEjectionTimeMs: BASE_MS,
      maxEjectionTimeMs: 300_000,
      maxEjectionPercent: 100,
      ...options,
    },
    clock,
    () => list,
    (event) => events.push(event),
  );
  const record = (endpoint: Endpoint, outcome: Outcome, times = 1) => {
    for (let i = 0; i < times; i++) detector.record(endpoint, outcome);
  };
  return { clock, list, events, detector, record, e: list[0] as Endpoint };
}

describe('OutlierDetector', () => {
  describe('ejection', () => {
    it('ejects after N consecutive 5xx, not before', () => {
      const { e, record, events, clock } = setup();
      record(e, ERROR_500, 4);
      expect(e.ejected).toBe(false);
      expect(events).toEqual([]);
      record(e, ERROR_500);
      expect(e.ejected).toBe(true);
      expect(e.ejectedUntil).toBe(clock.now() + BASE_MS);
      expect(events).toEqual([{ endpoint: e, ejected: true, durationMs: BASE_MS, reason: 'consecutive-5xx' }]);
    });

    it('counts transport failures as 5xx', () => {
      const { e, record } = setup({ consecutive5xxErrors: 3 });
      record(e, REFUSED, 2);
      record(e, ERROR_500);
      expect(e.ejected).toBe(true);
    });

    it('ejects after N consecutive gateway errors when 5xx detection is off', () => {
      const { e, record, events } = setup({ consecutive5xxErrors: 0, consecutiveGatewayErrors: 3 });
      record(e, ERROR_503, 2);
      record(e, REFUSED);
      expect(e.ejected).toBe(true);
      expect(events[0]?.reason).toBe('consecutive-gateway-errors');
    });

    it('restarts the gateway-error run on a 5xx that is not a gateway error', () => {
      const { e, record } = setup({ consecutive5xxErrors: 0, consecutiveGatewayErrors: 3 });
      record(e, ERROR_503, 2);
      record(e, ERROR_500);
      record(e, ERROR_503, 2);
      expect(e.ejected).toBe(false);
      record(e, ERROR_503);
      expect(e.ejected).toBe(true);
    });

    it('a success resets both counters', () => {
      const { e, record } = setup({ consecutive5xxErrors: 3, consecutiveGatewayErrors: 3 });
      record(e, ERROR_503, 2);
      record(e, OK);
      expect(e.consecutive5xx).toBe(0);
      expect(e.consecutiveGatewayErrors).toBe(0);
      record(e, ERROR_503, 2);
      expect(e.ejected).toBe(false);
    });

    it('a 4xx response counts as a success for the endpoint', () => {
      const { e, record } = setup({ consecutive5xxErrors: 2 });
      record(e, ERROR_500);
      record(e, NOT_FOUND);
      record(e, ERROR_500);
      expect(e.ejected).toBe(false);
    });

    it('cancelled and invalid attempts neither count nor reset', () => {
      const { e, record } = setup({ consecutive5xxErrors: 3 });
      record(e, ERROR_500, 2);
      record(e, CANCELLED);
      record(e, INVALID);
      expect(e.consecutive5xx).toBe(2);
      record(e, ERROR_500);
      expect(e.ejected).toBe(true);
    });

    it('does not eject again, nor extend, an endpoint already ejected', () => {
      const { e, record, events, clock } = setup({ consecutive5xxErrors: 1 });
      record(e, ERROR_500);
      const until = e.ejectedUntil;
      clock.advance(1_000);
      record(e, ERROR_500, 3);
      expect(e.ejectedUntil).toBe(until);
      expect(events).toHaveLength(1);
      expect(e.ejectionCount).toBe(1);
    });

    it('does not eject an endpoint discovery removed', () => {
      const { e, record, events } = setup({ consecutive5xxErrors: 1 });
      e.removed = true;
      record(e, ERROR_500);
      expect(e.ejected).toBe(false);
      expect(events).toEqual([]);
    });
  });

  describe('return', () => {
    it('returns the endpoint when its ejection time is over, with clean counters', () => {
      const { e, record, events, clock } = setup({ consecutive5xxErrors: 2 });
      record(e, ERROR_500, 2);
      const ejectedAt = clock.now();
      clock.advance(BASE_MS - 1);
      expect(e.ejected).toBe(true);
      clock.advance(1);
      expect(e.ejected).toBe(false);
      expect(e.ejectedUntil).toBe(0);
      expect(e.lastEjectionEnd).toBe(ejectedAt + BASE_MS);
      expect(e.consecutive5xx).toBe(0);
      expect(events[1]).toEqual({ endpoint: e, ejected: false, durationMs: 0, reason: 'expired' });
      // One failure after the return is not enough to eject again.
      record(e, ERROR_500);
      expect(e.ejected).toBe(false);
    });

    it('forget() cancels the return timer of a removed endpoint', () => {
      const { e, record, events, clock, detector } = setup({ consecutive5xxErrors: 1 });
      record(e, ERROR_500);
      detector.forget(e);
      clock.advance(BASE_MS * 2);
      expect(events).toHaveLength(1);
      expect(clock.pending).toBe(0);
    });

    it('close() cancels every timer', () => {
      const { list, record, clock, detector } = setup({ consecutive5xxErrors: 1 });
      record(list[0] as Endpoint, ERROR_500);
      record(list[1] as Endpoint, ERROR_500);
      expect(clock.pending).toBe(2);
      detector.close();
      expect(clock.pending).toBe(0);
    });
  });

  describe('ejection time', () => {
    /** Ejects `e`, waits for its return, and hands back how long it was out. */
    function ejectAndReturn(ctx: ReturnType<typeof setup>): number {
      ctx.record(ctx.e, ERROR_500, ctx.detector.options.consecutive5xxErrors);
      const duration = ctx.e.ejectedUntil - ctx.clock.now();
      ctx.clock.advance(duration);
      expect(ctx.e.ejected).toBe(false);
      return duration;
    }

    it('is base x times ejected, for an endpoint that fails again right after each return', () => {
      const ctx = setup({ consecutive5xxErrors: 1 });
      expect([ejectAndReturn(ctx), ejectAndReturn(ctx), ejectAndReturn(ctx)]).toEqual([BASE_MS, 2 * BASE_MS, 3 * BASE_MS]);
      expect(ctx.e.ejectionCount).toBe(3);
    });

    it('is capped at maxEjectionTime', () => {
      const ctx = setup({ consecutive5xxErrors: 1, maxEjectionTimeMs: 70_000 });
      const durations = [ejectAndReturn(ctx), ejectAndReturn(ctx), ejectAndReturn(ctx), ejectAndReturn(ctx)];
      expect(durations).toEqual([BASE_MS, 2 * BASE_MS, 70_000, 70_000]);
    });

    it('is never below the base, even when maxEjectionTime is', () => {
      const ctx = setup({ consecutive5xxErrors: 1, maxEjectionTimeMs: 1_000 });
      expect(ejectAndReturn(ctx)).toBe(BASE_MS);
    });

    it('decays by one step per interval spent back in service', () => {
      const ctx = setup({ consecutive5xxErrors: 1 });
      ejectAndReturn(ctx);
      ejectAndReturn(ctx);
      ejectAndReturn(ctx); // count 3
      ctx.clock.advance(2 * INTERVAL_MS); // two intervals in service: 3 - 2 = 1, then +1
      expect(ejectAndReturn(ctx)).toBe(2 * BASE_MS);
    });

    it('starts again from the base once it has decayed fully', () => {
      const ctx = setup({ consecutive5xxErrors: 1 });
      ejectAndReturn(ctx);
      ejectAndReturn(ctx);
      ctx.clock.advance(10 * INTERVAL_MS);
      expect(ejectAndReturn(ctx)).toBe(BASE_MS);
      expect(ctx.e.ejectionCount).toBe(1);
    });

    it('does not decay for part of an interval', () => {
      const ctx = setup({ consecutive5xxErrors: 1 });
      ejectAndReturn(ctx);
      ctx.clock.advance(INTERVAL_MS - 1);
      expect(ejectAndReturn(ctx)).toBe(2 * BASE_MS);
    });
  });

  describe('maxEjectionPercent', () => {
    it('ejects at most that share of the endpoints', () => {
      const { list, record } = setup({ consecutive5xxErrors: 1, maxEjectionPercent: 30 }, 10);
      for (const e of list) record(e, ERROR_500);
      expect(list.filter((e) => e.ejected)).toHaveLength(3);
    });

    it('lets one be ejected when the share rounds down to zero', () => {
      const { list, record } = setup({ consecutive5xxErrors: 1, maxEjectionPercent: 10 }, 3);
      for (const e of list) record(e, ERROR_500);
      expect(list.filter((e) => e.ejected)).toHaveLength(1);
    });

    it('never ejects every endpoint, even at 100%', () => {
      const { list, record } = setup({ consecutive5xxErrors: 1, maxEjectionPercent: 100 }, 3);
      for (const e of list) record(e, ERROR_500);
      expect(list.filter((e) => e.ejected)).toHaveLength(2);
    });

    it('never ejects the only endpoint', () => {
      const { e, record, events } = setup({ consecutive5xxErrors: 1, maxEjectionPercent: 100 }, 1);
      record(e, ERROR_500, 5);
      expect(e.ejected).toBe(false);
      expect(events).toEqual([]);
    });

    it('ejects none at 0%', () => {
      const { list, record } = setup({ consecutive5xxErrors: 1, maxEjectionPercent: 0 }, 10);
      for (const e of list) record(e, ERROR_500);
      expect(list.filter((e) => e.ejected)).toHaveLength(0);
    });

    it('makes room again when an ejected endpoint returns', () => {
      const { list, record, clock } = setup({ consecutive5xxErrors: 1, maxEjectionPercent: 10 }, 3);
      const [a, b] = list as [Endpoint, Endpoint];
      record(a, ERROR_500);
      record(b, ERROR_500);
      expect([a.ejected, b.ejected]).toEqual([true, false]);
      clock.advance(BASE_MS);
      record(b, ERROR_500);
      expect([a.ejected, b.ejected]).toEqual([false, true]);
    });
  });
});
