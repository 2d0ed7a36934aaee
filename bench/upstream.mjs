// bench: the upstream of the client benchmark. A node:http server with a tiny fixed response and
// keep-alive, listening on one or more loopback ports (the 90/10 case needs two endpoints).
//
// Run by bench/lib.mjs in its own process (pinned to another core than the client), it prints
// `{"ports":[...]}` on its first stdout line and exits when stdin closes, so it cannot outlive the
// benchmark even if the benchmark is killed.
import { createServer } from 'node:http';

const BODY = Buffer.from('ok\n');
const HEADERS = { 'content-type': 'text/plain', 'content-length': String(BODY.length) };
// Longer than the clients' keep-alive (undici's 4 s), so the client, never the server, closes an
// idle socket: a server-side close racing a new request would show up as a reset.
const KEEP_ALIVE_MS = 65_000;

function handle(req, res) {
  // Requests carry no body here, but drain one anyway so a keep-alive socket is reusable.
  req.resume();
  res.writeHead(200, HEADERS);
  res.end(BODY);
}

const count = Math.max(1, Number(process.argv[2] ?? 1));
const servers = [];
for (let i = 0; i < count; i++) {
  const server = createServer({ keepAliveTimeout: KEEP_ALIVE_MS }, handle);
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1_000;
  servers.push(server);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
}

process.stdout.write(`${JSON.stringify({ ports: servers.map((s) => s.address().port) })}\n`);

process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
