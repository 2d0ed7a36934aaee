// A service with mTLS and an authorization policy, and a caller with its own identity. The
// certificates come from the built-in development CA (what `npx inmesh ca` does).
// Run: node examples/mtls-service.mjs (after `npm run build`).
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMesh } from 'inmesh';

const certs = mkdtempSync(join(tmpdir(), 'inmesh-example-'));
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const inmesh = (...args) => execFileSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
inmesh('ca', 'init', '--trust-domain', 'example.org', '--out', certs);
inmesh('ca', 'issue', '--id', 'spiffe://example.org/sa/payments', '--out', certs);
inmesh('ca', 'issue', '--id', 'spiffe://example.org/sa/orders', '--out', certs);
const tls = (name) => ({ ca: join(certs, 'ca.pem'), cert: join(certs, `${name}.pem`), key: join(certs, `${name}.key`) });

// The service: only orders may POST /charge.
const payments = await createMesh({
  config: {
    service: 'payments',
    identity: { trustDomain: 'example.org', tls: tls('payments') },
    inbound: {
      authorization: [{ name: 'orders-may-charge', from: ['spiffe://example.org/sa/orders'], methods: ['POST'], paths: ['/charge'] }],
    },
  },
});
const server = payments.createServer((_req, res) => {
  res.end(JSON.stringify({ charged: true, caller: payments.context()?.peer }));
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');

// The caller: mTLS to payments, checking that the server is spiffe://example.org/sa/payments.
const orders = await createMesh({
  config: {
    service: 'orders',
    identity: { trustDomain: 'example.org', tls: tls('orders') },
    discovery: [{ static: { payments: [`127.0.0.1:${server.address().port}`] } }],
  },
});
const ok = await orders.fetch('http://payments/charge', { method: 'POST', body: '{}' });
console.log(ok.status, await ok.json());
const denied = await orders.fetch('http://payments/refund', { method: 'POST', body: '{}' });
console.log(denied.status, await denied.json());

await orders.close();
await payments.close(); // drains the server first
rmSync(certs, { recursive: true, force: true });
