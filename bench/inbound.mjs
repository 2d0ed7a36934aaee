// bench: the inbound benchmark of issue #3 §7 (`npm run bench:inbound`). The same handler is
// served by a plain `https.createServer` with mTLS and by `mesh.createServer` (mTLS with SPIFFE
// checks, an authorization policy, path normalisation, metrics), with the same certificates, in
// the same run; the ratio is the cost of inmesh's inbound policies on top of TLS. Also measures
// full TLS handshakes per second against each. See docs/benchmarks.md.
//
// Layout: both servers run in their own processes pinned to core 1; this process (the load
// generator) re-executes itself pinned to core 0. Rounds alternate between the servers.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import {
  ensurePinned,
  fmtInt,
  fmtPct,
  fmtUs,
  markdownTable,
  median,
  onlineCpus,
  parseCommandLine,
  raisePriority,
  runLoad,
  taskset,
} from './lib.mjs';

const SCRIPT = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OPTIONS = {
  concurrency: { type: 'number', default: 32, min: 1, help: 'requests in flight' },
  duration: { type: 'number', default: 4, min: 0.2, help: 'measured seconds per server, split over the rounds' },
  rounds: { type: 'number', default: 8, min: 1, help: 'alternating rounds; results are medians' },
  'handshake-duration': { type: 'number', default: 2, min: 0, help: 'measured seconds of handshakes per server (0 skips)' },
  'handshake-concurrency': { type: 'number', default: 8, min: 1, help: 'handshakes in flight' },
  nice: { type: 'number', default: -10, min: -20, help: 'nice value, when allowed' },
  help: { type: 'boolean', default: false, help: 'this text' },
};

const args = parseCommandLine(process.argv.slice(2), OPTIONS, 'npm run bench:inbound -- [options]');
if (!(await ensurePinned(0, ['--expose-gc'], SCRIPT, process.argv.slice(2)))) process.exit(0);
raisePriority(0, args.nice);

// Certificates from the dev CA (what `inmesh ca` does).
const certs = mkdtempSync(join(tmpdir(), 'inmesh-bench-'));
const cli = join(ROOT, 'dist/cli.js');
const ca = (...a) => execFileSync(process.execPath, [cli, 'ca', ...a, '--out', certs], { stdio: 'ignore' });
ca('init', '--trust-domain', 'bench.inmesh');
ca('issue', '--id', 'spiffe://bench.inmesh/sa/payments');
ca('issue', '--id', 'spiffe://bench.inmesh/sa/orders');
const clientTls = {
  ca: readFileSync(join(certs, 'ca.pem')),
  cert: readFileSync(join(certs, 'orders.pem')),
  key: readFileSync(join(certs, 'orders.key')),
  rejectUnauthorized: true,
  // The certificates carry SPIFFE IDs, not host names: the chain is what this benchmark checks.
  checkServerIdentity: () => undefined,
};

async function startServer(mode) {
  const ts = taskset();
  const pinned = ts && (onlineCpus() ?? 1) > 1;
  const script = join(ROOT, 'bench/inbound-server.mjs');
  const [cmd, argv] = pinned ? [ts, ['-c', '1', process.execPath, script, mode, certs]] : [process.execPath, [script, mode, certs]];
  const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
  raisePriority(child.pid, args.nice);
  return { mode, port: JSON.parse(line).port, pinned, stop: () => child.stdin.end() };
}

function handshakes(port, durationMs, concurrency) {
  return new Promise((resolve) => {
    let count = 0;
    let errors = 0;
    const deadline = performance.now() + durationMs;
    let running = concurrency;
    const one = () => {
      if (performance.now() >= deadline) {
        if (--running === 0) resolve({ perSecond: (count * 1000) / durationMs, errors });
        return;
      }
      const socket = connect({ host: '127.0.0.1', port, ...clientTls });
      socket.once('secureConnect', () => {
        count++;
        socket.destroy();
        one();
      });
      socket.once('error', () => {
        errors++;
        socket.destroy();
        one();
      });
    };
    for (let i = 0; i < concurrency; i++) one();
  });
}

const servers = [await startServer('https'), await startServer('inmesh')];
const results = new Map(servers.map((s) => [s.mode, { rounds: [], handshakes: undefined }]));
try {
  const pools = new Map(
    servers.map((s) => [s.mode, new Pool(`https://127.0.0.1:${s.port}`, { connections: args.concurrency, connect: clientTls })]),
  );
  const slice = (args.duration * 1000) / args.rounds;
  const op = (pool) => async () => {
    const res = await pool.request({ path: '/charge', method: 'GET' });
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
  };
  // Warm up both (connections, JIT), then alternate rounds.
  for (const s of servers) await runLoad(op(pools.get(s.mode)), { concurrency: args.concurrency, durationMs: 500, record: false });
  for (let r = 0; r < args.rounds; r++) {
    for (const s of r % 2 ? [...servers].reverse() : servers) {
      globalThis.gc?.();
      const m = await runLoad(op(pools.get(s.mode)), { concurrency: args.concurrency, durationMs: slice });
      if (m.errors) throw m.firstError;
      results.get(s.mode).rounds.push(m);
    }
  }
  for (const pool of pools.values()) await pool.close();
  if (args['handshake-duration'] > 0) {
    for (const s of servers) {
      results.get(s.mode).handshakes = await handshakes(s.port, args['handshake-duration'] * 1000, args['handshake-concurrency']);
    }
  }
} finally {
  for (const s of servers) s.stop();
  rmSync(certs, { recursive: true, force: true });
}

const summary = (mode) => {
  const rounds = results.get(mode).rounds;
  return {
    rps: median(rounds.map((m) => m.rps)),
    p50: median(rounds.map((m) => m.p50Us)),
    p99: median(rounds.map((m) => m.p99Us)),
    hs: results.get(mode).handshakes?.perSecond ?? Number.NaN,
  };
};
const base = summary('https');
const mesh = summary('inmesh');
console.log(
  `\ninbound over mTLS, concurrency ${args.concurrency}, ${args.rounds} rounds of ${fmtInt((args.duration * 1000) / args.rounds)} ms per server; ` +
    `${servers[0].pinned ? 'servers pinned to core 1, load generator to core 0' : 'NOT pinned (taskset missing or one core)'}; ${cpus()[0]?.model ?? ''}\n`,
);
console.log(
  markdownTable(
    ['server', 'req/s', 'p50', 'p99', 'req/s vs https', 'added p50', 'handshakes/s', 'handshakes vs https'],
    [
      ['https.createServer (mTLS)', fmtInt(base.rps), fmtUs(base.p50), fmtUs(base.p99), '100.0%', '-', fmtInt(base.hs), '100.0%'],
      [
        'mesh.createServer (mTLS + SPIFFE + authz + metrics)',
        fmtInt(mesh.rps),
        fmtUs(mesh.p50),
        fmtUs(mesh.p99),
        fmtPct(mesh.rps / base.rps),
        fmtUs(mesh.p50 - base.p50),
        fmtInt(mesh.hs),
        fmtPct(mesh.hs / base.hs),
      ],
    ],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  ),
);
