// http (transport, per attempt): the attempt goes to the chosen endpoint's pool, with the
// logical authority as Host (as a sidecar keeps :authority) and the call's remaining deadline
// in a header for the callee.
import { DEADLINE_HEADER } from '../../resilience/deadline.js';
import type { Clock } from '../../util/clock.js';
import { callOf } from '../call.js';
import type { EndpointPools, PoolSettings } from '../endpoint-pools.js';
import type { Dispatch } from '../handler.js';
import { withHeaders } from '../headers.js';

export function transport(pools: EndpointPools, settings: PoolSettings, clock: Clock): Dispatch {
  return (opts, handler) => {
    const call = callOf(opts);
    const endpoint = call.endpoint;
    if (endpoint === undefined) throw new Error('transport reached without an endpoint (balance stage missing)');
    const pool = pools.get(endpoint, settings);
    const headers =
      call.deadlineAt === undefined
        ? withHeaders(opts.headers, [['host', call.authority]])
        : withHeaders(opts.headers, [
            ['host', call.authority],
            [DEADLINE_HEADER, String(Math.max(0, Math.floor(call.deadlineAt - clock.now())))],
          ]);
    return pool.dispatch({ ...opts, headers }, handler);
  };
}
