// bench: one fresh-process memory probe for bench/memory.mjs. Run with `node --expose-gc`; prints
// one JSON line with RSS and heap after GC at each step:
//   start    bare node
//   deps     + undici, prom-client, @opentelemetry/api (what an instrumented undici client loads anyway)
//   inmesh   + import 'inmesh'
//   mesh     + createMesh with SERVICES services, 2 static endpoints each
const SERVICES = Number(process.argv[2] ?? 100);

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(2);
}

async function settle() {
  // Several passes: the first GC finds garbage whose finalizers free more for the next.
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
}

const steps = {};
steps.start = await settle();
await import('undici');
await import('prom-client');
await import('@opentelemetry/api');
steps.deps = await settle();
const { createMesh } = await import('inmesh');
steps.inmesh = await settle();

const endpoints = {};
const services = {};
for (let i = 0; i < SERVICES; i++) {
  const name = `svc-${i}`;
  endpoints[name] = [`127.0.0.1:${20000 + 2 * i}`, `127.0.0.1:${20001 + 2 * i}`];
  services[name] = {};
}
const mesh = await createMesh({ config: { discovery: [{ static: endpoints }], services } });
steps.mesh = await settle();
await mesh.close();
process.stdout.write(`${JSON.stringify(steps)}\n`);
