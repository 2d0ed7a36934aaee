// bench: the cases of the client benchmark, shared by bench/client.mjs (which runs them in one
// process, or each in its own: --isolate) and bench/client-case.mjs (one case per process).
// A case's `make(resources)` builds its operation; resources (pools, agents, meshes) are created
// on first use, so a process that runs one case builds only what that case needs.

// Baselines get the connection settings the mesh gives each endpoint pool (DEFAULTS.connections:
// 64 connections, 4 s keep-alive), so the two differ only by the mesh.
export const POOL_OPTIONS = { connections: 64, keepAliveTimeout: 4_000 };

const FAST = { retries: { attempts: 1 }, circuitBreaker: false, outlierDetection: false };

// Everything on: DESIGN.md §5's example service. Both subsets point at the same upstream process
// (one port each), so the 90/10 split changes what the mesh does, not what the upstream does.
// `timeScale` stretches its timeouts (the instruction benchmark runs under callgrind, ~50x slower).
const ms = (n, scale) => `${n * scale}ms`;
const fullConfig = (port0, port1, timeScale = 1) => ({
  discovery: [
    {
      static: {
        full: [
          { address: `127.0.0.1:${port0}`, labels: { version: 'v1' } },
          { address: `127.0.0.1:${port1}`, labels: { version: 'v2' } },
        ],
      },
    },
  ],
  services: {
    full: {
      loadBalancer: 'peak-ewma',
      timeout: ms(2000, timeScale),
      retries: {
        attempts: 3,
        perTryTimeout: ms(500, timeScale),
        on: ['connect-failure', 'refused-stream', 'reset', 503],
        budget: { ratio: 0.2, minRetriesPerSecond: 10, ttl: '10s' },
      },
      circuitBreaker: { errorThresholdPercentage: 50, volumeThreshold: 20, resetTimeout: '10s' },
      outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 50 },
      subsets: { v1: { version: 'v1' }, v2: { version: 'v2' } },
      routes: [
        {
          to: [
            { subset: 'v1', weight: 90 },
            { subset: 'v2', weight: 10 },
          ],
        },
      ],
    },
  },
});

/** Lazily created pools, agents and meshes against the upstream's two ports. */
export function createResources({ undici, createMesh, port0, port1, timeScale = 1 }) {
  const origin = `http://127.0.0.1:${port0}`;
  const made = new Map();
  const once = (key, make) => {
    if (!made.has(key)) made.set(key, make());
    return made.get(key);
  };
  return {
    url: `${origin}/`,
    undici,
    pool: () => once('pool', () => new undici.Pool(origin, POOL_OPTIONS)),
    agent: () => once('agent', () => new undici.Agent(POOL_OPTIONS)),
    // Fast path: one endpoint, the policies that can be turned off turned off.
    fastMesh: () =>
      once('fast', () => createMesh({ config: { discovery: [{ static: { fast: [`127.0.0.1:${port0}`] } }], services: { fast: FAST } } })),
    // The fast path with metrics and tracing off: separates what telemetry costs.
    bareMesh: () =>
      once('bare', () =>
        createMesh({
          config: {
            discovery: [{ static: { bare: [`127.0.0.1:${port0}`] } }],
            services: { bare: FAST },
            telemetry: { metrics: { enabled: false }, tracing: { enabled: false } },
          },
        }),
      ),
    fullMesh: () => once('full', () => createMesh({ config: fullConfig(port0, port1, timeScale) })),
    async close() {
      await Promise.allSettled([...made.values()].map(async (m) => (await m).close()));
    },
  };
}

// Every op consumes the whole response body: an unread body would keep its socket busy and make
// the cheaper path look faster than it is.
const viaRequest = (undici, target, dispatcher) => async () => {
  const res = await undici.request(target, { dispatcher });
  await res.body.text();
  if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
};
const viaFetch = (fetchFn, target, init) => async () => {
  const res = await fetchFn(target, init);
  await res.text();
  if (res.status !== 200) throw new Error(`status ${res.status}`);
};

/** A Dispatcher that does nothing but hand every call to `target`. */
function forwardingDispatcher(undici, target) {
  return new (class extends undici.Dispatcher {
    dispatch(opts, handler) {
      return target.dispatch(opts, handler);
    }
  })();
}

// Roles: a baseline is what a mesh row is divided by; a reference is shown for context only; a
// floor and a control are divided by their baseline like a mesh row but judged by no goal.
// `family` keeps request and fetch apart: fetch costs several times more per call than request,
// so no row is ever compared across the two.
export const CASES = [
  {
    id: 'request-pool',
    family: 'request',
    role: 'baseline',
    label: 'undici.request, Pool',
    make: async (r) => viaRequest(r.undici, r.url, r.pool()),
  },
  // Controls (A/A): the baseline itself in processes of its own, divided by the baseline like a
  // mesh row. What it reads is what process luck and the schedule alone do to a row in this run
  // (measured on 2026-11-26: the request control 100.4 % (96-105), the fetch control 86.0-92.3 %).
  {
    id: 'request-control',
    family: 'request',
    role: 'control',
    baseline: 'request-pool',
    label: 'undici.request, Pool, other processes',
    make: async (r) => viaRequest(r.undici, r.url, r.pool()),
  },
  {
    id: 'request-mesh',
    family: 'request',
    policy: 'fast',
    baseline: 'request-pool',
    label: 'undici.request, mesh.dispatcher',
    make: async (r) => viaRequest(r.undici, 'http://fast/', (await r.fastMesh()).dispatcher),
  },
  {
    id: 'request-mesh-bare',
    family: 'request',
    policy: 'fast, no metrics/tracing',
    baseline: 'request-pool',
    label: 'undici.request, mesh.dispatcher',
    make: async (r) => viaRequest(r.undici, 'http://bare/', (await r.bareMesh()).dispatcher),
  },
  {
    id: 'request-mesh-full',
    family: 'request',
    policy: 'full',
    baseline: 'request-pool',
    label: 'undici.request, mesh.dispatcher',
    make: async (r) => viaRequest(r.undici, 'http://full/', (await r.fullMesh()).dispatcher),
  },
  {
    id: 'ufetch-agent',
    family: 'fetch',
    role: 'baseline',
    label: 'undici.fetch, Agent',
    make: async (r) => viaFetch(r.undici.fetch, r.url, { dispatcher: r.agent() }),
  },
  {
    id: 'gfetch-agent',
    family: 'fetch',
    role: 'baseline',
    label: 'global fetch, undici Agent',
    make: async (r) => viaFetch(globalThis.fetch, r.url, { dispatcher: r.agent() }),
  },
  {
    id: 'gfetch',
    family: 'fetch',
    role: 'reference',
    label: 'global fetch, no dispatcher',
    make: async (r) => viaFetch(globalThis.fetch, r.url),
  },
  {
    id: 'ufetch-control',
    family: 'fetch',
    role: 'control',
    baseline: 'ufetch-agent',
    label: 'undici.fetch, Agent, other processes',
    make: async (r) => viaFetch(r.undici.fetch, r.url, { dispatcher: r.agent() }),
  },
  // Floors: fetch through a dispatcher that only forwards to the same Agent: how near a fetch mesh
  // row can come in the same run (read 82-97 % on 2026-11-26, within the fetch control's error).
  {
    id: 'ufetch-fwd',
    family: 'fetch',
    role: 'floor',
    baseline: 'ufetch-agent',
    label: 'undici.fetch, forwarding dispatcher',
    make: async (r) => viaFetch(r.undici.fetch, r.url, { dispatcher: forwardingDispatcher(r.undici, r.agent()) }),
  },
  {
    id: 'gfetch-fwd',
    family: 'fetch',
    role: 'floor',
    baseline: 'gfetch-agent',
    label: 'global fetch, forwarding dispatcher',
    make: async (r) => viaFetch(globalThis.fetch, r.url, { dispatcher: forwardingDispatcher(r.undici, r.agent()) }),
  },
  {
    id: 'mesh-fetch',
    family: 'fetch',
    policy: 'fast',
    baseline: 'ufetch-agent',
    label: 'mesh.fetch',
    make: async (r) => {
      const mesh = await r.fastMesh();
      return viaFetch((u) => mesh.fetch(u), 'http://fast/');
    },
  },
  {
    id: 'gfetch-mesh',
    family: 'fetch',
    policy: 'fast',
    baseline: 'gfetch-agent',
    label: 'global fetch, mesh.dispatcher',
    make: async (r) => viaFetch(globalThis.fetch, 'http://fast/', { dispatcher: (await r.fastMesh()).dispatcher }),
  },
  {
    id: 'mesh-fetch-full',
    family: 'fetch',
    policy: 'full',
    baseline: 'ufetch-agent',
    label: 'mesh.fetch',
    make: async (r) => {
      const mesh = await r.fullMesh();
      return viaFetch((u) => mesh.fetch(u), 'http://full/');
    },
  },
  {
    id: 'gfetch-mesh-full',
    family: 'fetch',
    policy: 'full',
    baseline: 'gfetch-agent',
    label: 'global fetch, mesh.dispatcher',
    make: async (r) => viaFetch(globalThis.fetch, 'http://full/', { dispatcher: (await r.fullMesh()).dispatcher }),
  },
];

/** The cases named in `ids` (comma-separated) with their baselines (and those baselines' controls), in CASES order; throws on an unknown id. */
export function selectCases(ids) {
  const known = new Map(CASES.map((c) => [c.id, c]));
  const wanted = new Set();
  for (const id of ids
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const c = known.get(id);
    if (!c) throw new Error(`unknown case ${id}; known: ${[...known.keys()].join(', ')}`);
    wanted.add(id);
    if (c.baseline) wanted.add(c.baseline);
  }
  // A baseline brings its control: every run shows what the schedule alone does to a row.
  for (const c of CASES) if (c.role === 'control' && wanted.has(c.baseline)) wanted.add(c.id);
  return CASES.filter((c) => wanted.has(c.id));
}
