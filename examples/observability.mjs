// The admin server and its dashboard, with Prometheus metrics in your own registry.
// Run: node examples/observability.mjs, then open the printed dashboard URL (Ctrl-C to stop).

import { once } from 'node:events';
import { createServer } from 'node:http';
import { createMesh } from 'inmesh';
import { Registry } from 'prom-client';

const upstream = createServer((_req, res) => setTimeout(() => res.end('ok'), Math.random() * 20));
upstream.listen(0, '127.0.0.1');
await once(upstream, 'listening');

const registry = new Registry(); // or omit: the mesh keeps a private one (mesh.metrics)
const mesh = await createMesh({
  registry,
  config: {
    service: 'web',
    discovery: [{ static: { api: [`127.0.0.1:${upstream.address().port}`] } }],
    telemetry: { accessLog: { output: 'stdout', sample: 0.01 } },
  },
});
const { url } = await mesh.admin.listen({ port: 0 });
console.log(`dashboard: ${url}/dashboard   metrics: ${url}/metrics`);

const timer = setInterval(() => {
  mesh.fetch('http://api/items').then(
    (r) => r.arrayBuffer(),
    () => {},
  );
}, 10);
const stop = async () => {
  clearInterval(timer);
  await mesh.close();
  upstream.close();
};
if (process.env.INMESH_EXAMPLE_ONCE) setTimeout(stop, 500);
else process.once('SIGINT', stop);
