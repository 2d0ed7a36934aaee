// balancer: peak-EWMA, the default (Finagle's PeakEwma, Linkerd's balancer): power of two choices
// over latency x load. Latency is an exponentially weighted average that jumps up at once on a
// slow response ("peak") and decays with time, so a slow endpoint is avoided quickly and an idle
// one is tried again once its bad record has faded.
import { DEFAULTS } from '../config/defaults.js';
import { peakEwmaOptionsSchema } from '../config/schema.js';
import { parseDuration } from '../config/units.js';
import type { Endpoint } from '../discovery/endpoint.js';
import { defineBalancer, pickTwoChoices } from './balancer.js';

/** Shortest decay used: the schema accepts `0s`, and a decay of 0 made latency 0 / 0 = NaN. */
const MIN_DECAY_MS = 1;

export const peakEwma = defineBalancer({
  name: 'peak-ewma',
  options: peakEwmaOptionsSchema,
  create(options, { clock, random }) {
    const decayMs = Math.max(MIN_DECAY_MS, options.decay ?? parseDuration(DEFAULTS.loadBalancer.decay));
    const defaultRttMs = options.defaultRtt ?? parseDuration(DEFAULTS.loadBalancer.defaultRtt);

    const cost = (endpoint: Endpoint): number => {
      let rtt = defaultRttMs;
      if (endpoint.rttMs >= 0) {
        // Decay toward zero while no observation comes in (Finagle): an endpoint left alone
        // after a bad spell gets probed again rather than starved forever.
        const idle = clock.now() - endpoint.observedAt;
        rtt = endpoint.rttMs * Math.exp(-idle / decayMs);
      }
      return (rtt * (endpoint.pending + 1)) / endpoint.weight;
    };

    return {
      picker: (list) => ({ pick: (context) => pickTwoChoices(list, context, random, cost) }),
      observe(endpoint, rttMs, now) {
        if (endpoint.rttMs < 0 || rttMs > endpoint.rttMs) {
          endpoint.rttMs = rttMs;
        } else {
          const w = Math.exp(-(now - endpoint.observedAt) / decayMs);
          endpoint.rttMs = endpoint.rttMs * w + rttMs * (1 - w);
        }
        endpoint.observedAt = now;
      },
    };
  },
});
