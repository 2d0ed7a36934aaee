// Quick start: two instances of a "payments" service and a caller that reaches them through the
// mesh by their logical name, with retries and a canary route. Run: node examples/quickstart.mjs
// (after `npm run build`; inside this repository the package imports itself by name).

import { once } from 'node:events';
import { createServer } from 'node:http';
import { createMesh } from 'inmesh';

// Two upstream instances on loopback, v1 and v2.
async function instance(version) {
  const server = createServer((req, res) => res.end(JSON.stringify({ version, path: req.url })));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}
const v1 = await instance('v1');
const v2 = await instance('v2');

const mesh = await createMesh({
  config: {
    service: 'checkout',
    discovery: [
      {
        static: {
          payments: [
            { address: `127.0.0.1:${v1.address().port}`, labels: { version: 'v1' } },
            { address: `127.0.0.1:${v2.address().port}`, labels: { version: 'v2' } },
          ],
        },
      },
    ],
    services: {
      payments: {
        timeout: '2s',
        retries: { attempts: 3, perTryTimeout: '500ms', on: ['connect-failure', 'reset', 503] },
        subsets: { v1: { version: 'v1' }, v2: { version: 'v2' } },
        routes: [{ match: { headers: { 'x-canary': 'true' } }, to: [{ subset: 'v2' }] }, { to: [{ subset: 'v1' }] }],
      },
    },
  },
});

// The URL's host is the logical service name.
const stable = await mesh.fetch('http://payments/charge', { method: 'POST', body: '{"amount":42}' });
console.log('stable:', await stable.json());
const canary = await fetch('http://payments/charge', { headers: { 'x-canary': 'true' }, dispatcher: mesh.dispatcher });
console.log('canary:', await canary.json());

await mesh.close();
v1.close();
v2.close();
