// bench: a server under test for bench/inbound.mjs, in its own process (pinned by the parent).
//   node bench/inbound-server.mjs https  CERTS_DIR   plain https.createServer, mTLS, same certs
//   node bench/inbound-server.mjs inmesh CERTS_DIR   mesh.createServer: mTLS with SPIFFE checks,
//                                                    one authorization policy, metrics, tracing API
// Prints {"port":N} when listening; exits when stdin closes (the parent died or is done).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { createMesh } from '../dist/index.js';

const [mode, dir] = process.argv.slice(2);
const file = (name) => join(dir, name);
const handler = (req, res) => {
  req.resume();
  res.end('ok');
};

let server;
if (mode === 'https') {
  server = createServer(
    {
      ca: readFileSync(file('ca.pem')),
      cert: readFileSync(file('payments.pem')),
      key: readFileSync(file('payments.key')),
      requestCert: true,
      rejectUnauthorized: true,
      keepAliveTimeout: 5000,
    },
    handler,
  );
} else {
  const mesh = await createMesh({
    config: {
      service: 'payments',
      identity: { trustDomain: 'bench.inmesh', tls: { ca: file('ca.pem'), cert: file('payments.pem'), key: file('payments.key') } },
      inbound: {
        mtls: 'strict',
        authorization: [{ name: 'orders', from: ['spiffe://bench.inmesh/sa/orders'] }],
        drain: { signals: [] },
      },
    },
  });
  server = mesh.createServer(handler);
}
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
