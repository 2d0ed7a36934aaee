// bench: what the mesh's own code costs per call, without the network. Every undici Pool answers
// at once (its dispatch is replaced by a synchronous response), so the time per call is the
// stack of stages alone: route, deadline, retry, balance, breaker, telemetry, transport.
//   npm run build && node bench/overhead.mjs [case]
// Not a substitute for bench/client.mjs (which measures against a real upstream); a way to see
// what a change to the request path costs, with little noise.
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { createMesh } from '../dist/index.js';

const only = process.argv[2];
const CASES = {
  'fast, no telemetry': {
    telemetry: { metrics: { enabled: false }, tracing: { enabled: false } },
    services: { s: { retries: { attempts: 1 }, circuitBreaker: false, outlierDetection: false } },
  },
  fast: { services: { s: { retries: { attempts: 1 }, circuitBreaker: false, outlierDetection: false } } },
  'retry stage': { services: { s: { circuitBreaker: false, outlierDetection: false } } },
  'circuit breaker': { services: { s: { retries: { attempts: 1 } } } },
  full: { services: { s: { timeout: '2s', retries: { attempts: 3, perTryTimeout: '1s', on: ['connect-failure', 503] } } } },
};

Pool.prototype.dispatch = function answerAtOnce(_opts, handler) {
  handler.onConnect?.(() => {});
  handler.onHeaders?.(200, [], () => {}, 'OK');
  handler.onData?.(Buffer.from('ok'));
  handler.onComplete?.([]);
  return true;
};
const handler = {
  onConnect() {},
  onHeaders: () => true,
  onData: () => true,
  onComplete() {},
  onError(err) {
    throw err;
  },
};

console.log('| case | ns per call |\n|---|--:|');
for (const [name, extra] of Object.entries(CASES)) {
  if (only && only !== name) continue;
  const mesh = await createMesh({ config: { discovery: [{ static: { s: ['127.0.0.1:9'] } }], ...extra } });
  const opts = { origin: 'http://s', path: '/', method: 'GET' };
  for (let i = 0; i < 300_000; i++) mesh.dispatcher.dispatch({ ...opts }, handler);
  const n = 1_000_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    mesh.dispatcher.dispatch({ ...opts }, handler);
    // Let timers and microtasks run now and then, as they would between requests.
    if (i % 10_000 === 0) await new Promise(setImmediate);
  }
  console.log(`| ${name} | ${Math.round(((performance.now() - t0) * 1e6) / n)} |`);
  await mesh.close({ force: true });
}
