// bench: the client benchmark of issue #2 §6 (`npm run bench:client`). Each mesh path runs beside
// the undici call it wraps, in the same process and the same run, against one local upstream, so
// the ratio of the two isolates what the mesh adds. See docs/benchmarks.md.
//
// Layout: the upstream (bench/upstream.mjs, node:http) runs in its own process pinned to core 1;
// this process (load generator + client under test) re-executes itself pinned to core 0, with
// --expose-gc (the in-process mode, --no-isolate, starts every slice after a full GC).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CASES, createResources, selectCases } from './cases.mjs';
import {
  allowedCpus,
  ensurePinned,
  fmtInt,
  fmtPct,
  fmtSigned,
  fmtUs,
  markdownTable,
  median,
  onlineCpus,
  parseCommandLine,
  raisePriority,
  runLoad,
  startUpstream,
  taskset,
} from './lib.mjs';

const SCRIPT = fileURLToPath(import.meta.url);
const HERE = fileURLToPath(new URL('.', import.meta.url));

const OPTIONS = {
  concurrency: { type: 'number', default: 32, min: 1, help: 'requests in flight in the throughput pass' },
  duration: { type: 'number', default: 10, min: 0.1, help: 'measured seconds per case, split over the rounds (two slices a round)' },
  warmup: { type: 'number', default: 2, min: 0, help: 'warm-up seconds per case process, before the first round' },
  'warmup-requests': {
    type: 'number',
    default: 30_000,
    min: 0,
    help: 'the warm-up goes on, a second at a time (at most 20 s in all), until the process has served this many requests',
  },
  rounds: {
    type: 'number',
    default: 50,
    min: 1,
    help: 'rounds; in each, every compared case runs two slices beside two of its own baseline (B M M B / M B B M); results are medians of rounds',
  },
  settle: { type: 'number', default: 0.02, min: 0, help: 'unmeasured seconds at the start of every slice' },
  'latency-duration': {
    type: 'number',
    default: 2,
    min: 0,
    help: 'measured seconds per case at concurrency 1 (0 skips that pass)',
  },
  'latency-rounds': {
    type: 'number',
    default: 10,
    min: 1,
    help: 'rounds of the concurrency-1 pass (its slices, latency-duration / (2 x rounds), must hold enough requests for a p50 of warm ones)',
  },
  memory: { type: 'boolean', default: true, help: 'run bench/memory.mjs at the end (--no-memory skips it)' },
  'memory-runs': { type: 'number', default: 5, min: 1, help: 'fresh processes per memory figure' },
  only: { type: 'string', default: '', help: 'comma-separated case ids to run (their baselines are added)' },
  nice: {
    type: 'number',
    default: -10,
    min: -20,
    help: 'nice value for the client and upstream, when allowed (root); keeps other programs off their cores',
  },
  json: { type: 'boolean', default: false, help: 'also write the results to bench/results/client-<time>.json' },
  processes: {
    type: 'number',
    default: 2,
    min: 1,
    help: 'processes per case, and per compared case for its own baseline, with --isolate, used in turn round by round (a process keeps its JIT and heap layout for life: several average that luck out)',
  },
  isolate: {
    type: 'boolean',
    default: true,
    help: 'run each case in its own process pinned to the client core, slices interleaved over IPC (--no-isolate: all in this process)',
  },
  gc: {
    type: 'boolean',
    default: false,
    help: 'force a full GC before every slice also when each case has its own process (always on with --no-isolate)',
  },
  'memory-reducer': {
    type: 'boolean',
    default: false,
    help: "leave V8's memory reducer on in the case processes: it shrinks the heap of a process idle between its slices, so each slice measures a heap growing back (off by default)",
  },
  'semi-space': {
    type: 'number',
    default: 0,
    min: 0,
    help: "fix V8's young generation at this many MiB per semi-space in the case processes (0: V8 sizes it as it goes)",
  },
  profile: {
    type: 'string',
    default: '',
    help: 'CPU-profile one case id for --duration seconds instead of benchmarking; prints top self time',
  },
  help: { type: 'boolean', default: false, help: 'this text' },
};

// Goals of issue #2 §6.
const GOAL_RATIO = 0.9;
const AIM_RATIO = 0.95;
const GOAL_ADDED_P50_US = 50;

const args = parseCommandLine(process.argv.slice(2), OPTIONS, 'npm run bench:client -- [options]');
let selected;
try {
  selected = args.only ? selectCases(args.only) : CASES;
} catch (err) {
  console.error(err.message);
  process.exit(2);
}

// Before the re-exec: a child inherits the nice value, for every thread it starts (GC helpers too).
const clientNice = raisePriority(0, args.nice);
await ensurePinned(0, ['--expose-gc'], SCRIPT, process.argv.slice(2));

const undici = await import('undici');
const { createMesh } = await import('inmesh');

const log = (...a) => console.error(...a);
const gc = globalThis.gc ?? (() => {});

// ---------------------------------------------------------------------------------------------
// setup

const upstream = await startUpstream({ ports: 2, cpu: 1, nice: args.nice });
const [port0, port1] = upstream.ports;
const resources = createResources({ undici, createMesh, port0, port1 });

const byId = new Map(CASES.map((c) => [c.id, c]));

const cpuOf = () => upstream.cpuMicros();

let closed = false;
async function shutdown() {
  if (closed) return;
  closed = true;
  for (const p of children) p.child.send({ type: 'close' });
  await Promise.allSettled(children.map((p) => p.exited));
  await resources.close();
  await upstream.stop();
}

/** Every case process started, for shutdown. */
const children = [];

/**
 * Prepares the selected cases: in this process (their operations built here), or each in
 * processes of its own, pinned to the client's core like this one, answering "run a slice" over
 * IPC. Every compared case (one with a baseline: mesh, floor, control) gets baseline processes of
 * its own, `c.pair`, so that it and its baseline run with the same cadence (see roundSchedule).
 */
/** A baseline that cases are compared with runs only as their pairs, never on its own. */
const runsOnlyAsPairs = (c, cases) => !c.baseline && cases.some((m) => m.baseline === c.id);

async function prepare(cases, isolate) {
  for (const c of cases) {
    if (c.baseline) {
      const base = byId.get(c.baseline);
      c.pair = { id: base.id, label: base.label };
      await equip(c.pair, base, isolate);
    }
    if (runsOnlyAsPairs(c, cases)) continue;
    await equip(c, c, isolate);
  }
}

/** Makes `runner` able to run slices of `spec`: its operation built here, or its own processes. */
async function equip(runner, spec, isolate) {
  if (!isolate) {
    spec.op ??= await spec.make(resources);
    runner.op = spec.op;
    return;
  }
  runner.processes = [];
  for (let i = 0; i < args.processes; i++) runner.processes.push(await startCaseProcess(spec));
  children.push(...runner.processes);
  runner.runRemote = (opts, slot) => runner.processes[slot % runner.processes.length].run(opts);
}

/** One process running case `c`, pinned to the client's core, answering "run a slice" over IPC. */
async function startCaseProcess(c) {
  const script = fileURLToPath(new URL('./client-case.mjs', import.meta.url));
  const pin = process.env.INMESH_BENCH_PINNED;
  const heap = args['semi-space'] > 0 ? [`--min-semi-space-size=${args['semi-space']}`, `--max-semi-space-size=${args['semi-space']}`] : [];
  // A case process sits idle for seconds between its slices, long enough for V8's memory
  // reducer to collect and shrink its heap; every slice then started on a small young generation
  // and paid for the scavenges of growing it back. A service under load never idles like that.
  // With the reducer on, the same build's Pool ran at 21-25k req/s instead of 31k, the fetch
  // Agent at 4.1-4.7k instead of 6.5k, and the fetch control's interval was 17-35 points wide.
  const reducer = args['memory-reducer'] ? [] : ['--no-memory-reducer'];
  const argv = ['--expose-gc', ...heap, ...reducer, script, c.id, String(port0), String(port1)];
  const child =
    pin && taskset()
      ? spawn(taskset(), ['-c', pin, process.execPath, ...argv], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      : spawn(process.execPath, argv, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise((resolve, reject) => {
    child.once('message', (m) => (m.type === 'ready' ? resolve() : reject(new Error(`${c.id}: ${JSON.stringify(m)}`))));
    child.once('exit', (code) => reject(new Error(`${c.id} exited with ${code}`)));
  });
  raisePriority(child.pid, args.nice);
  let seq = 0;
  const run = (opts) =>
    new Promise((resolve) => {
      const mine = ++seq;
      const onMessage = (m) => {
        if (m.type !== 'result' || m.seq !== mine) return;
        child.off('message', onMessage);
        resolve({ ...m.res, firstError: m.firstError });
      };
      child.on('message', onMessage);
      child.send({ type: 'run', seq: mine, ...opts });
    });
  return { child, exited, run };
}

/** One slice of a case, in this process or in its own; the upstream's CPU is read here either way. */
async function runCase(c, { concurrency, durationMs, record = true, gcFirst = false, slot = 0 }) {
  if (!c.runRemote) {
    if (gcFirst) gc();
    return runLoad(c.op, { concurrency, durationMs, record, cpuOf });
  }
  const peer0 = cpuOf();
  const start = performance.now();
  const res = await c.runRemote({ concurrency, durationMs, record, gc: gcFirst }, slot);
  const elapsedMs = performance.now() - start;
  const peer1 = cpuOf();
  res.upstreamCpu = peer0 !== undefined && peer1 !== undefined ? (peer1 - peer0) / (elapsedMs * 1000) : Number.NaN;
  return res;
}

// ---------------------------------------------------------------------------------------------
// passes

/**
 * The slices of one round of a family. Each compared case runs in a block of four slices with
 * its own baseline processes: B M M B, or M B B M, the order flipping every round. So both sides
 * of a ratio run equally often and sit idle equally long, and a linear drift of the machine's
 * speed within the block cancels out.
 *
 * Why not one baseline shared by its family (B M1 B M2 B ..., as this harness did before): the
 * shared baseline then ran in every other slice while each mesh case ran once a round, and that
 * alone moved ratios. An A/A control (the fetch baseline's code in other processes) read 86-92 %
 * that way, and 98.5 % when its block held only the control (B C B).
 *
 * This machine's speed drifts in bursts of a second or so (measured: the same Pool slice reads
 * 20k-33k req/s), so a case is only ever compared with baseline slices next to it. Blocks rotate,
 * so no case always holds the same place in a round. Cases compared with nothing (references, a
 * lone baseline) run two slices a round at the end.
 */
function roundSchedule(group, r) {
  // The order flips with the case's own index, not its place in the rotated round: with an even
  // number of blocks, place-based parity would give every case the same order every round.
  const blocks = group.filter((c) => c.pair).map((c, k) => ((r + k) % 2 === 0 ? [c.pair, c, c, c.pair] : [c, c.pair, c.pair, c]));
  const rotated = blocks.map((_, i) => blocks[(i + r) % blocks.length]);
  const loose = group.filter((c) => !c.pair && !runsOnlyAsPairs(c, group));
  return [...rotated.flat(), ...loose.flatMap((c) => [c, c])];
}

/** A case's two slices of one round, as one: the means of their rates, the sums of their counts. */
function mergeSlices(a, b) {
  const mean = (k) => (a[k] + b[k]) / 2;
  return {
    count: a.count + b.count,
    errors: a.errors + b.errors,
    rps: mean('rps'),
    p50Us: mean('p50Us'),
    p99Us: mean('p99Us'),
    cpuUsPerReq: mean('cpuUsPerReq'),
    clientCpu: mean('clientCpu'),
    upstreamCpu: mean('upstreamCpu'),
  };
}

/**
 * Runs `cases` in rounds, one family (request, fetch) after the other. Each round runs the
 * family's schedule (roundSchedule), each slice of `measuredSeconds / (2 * rounds)` after an
 * unmeasured settle period (which also re-opens sockets the keep-alive timeout closed while the
 * other cases ran). Returns per case one merged result per round (a baseline: one per round and
 * compared case) and, for a compared case, its baseline's result of the same block.
 */
/** Longest warm-up of one process, however few requests it served. */
const MAX_WARMUP_MS = 20_000;

/**
 * Warms one case process up: --warmup seconds, then a second more at a time until it has served
 * --warmup-requests requests. V8 tiers code up by how often it ran, not by how long: a fetch
 * process serves ~6k requests a second where a request one serves ~30k, and a path with more
 * code to optimise takes more requests. Measured here, global fetch over the full-policy mesh
 * was still ramping 2 s in (4.5k req/s, then 5.2k, 5.5k, level at ~5.8k from 5 s) where its
 * baseline was level from 3 s: a fixed 2 s warm-up measured the mesh's ramp in the first rounds.
 */
async function warmUp(c, { concurrency, warmupSeconds, slot }) {
  let served = (await runCase(c, { concurrency, durationMs: warmupSeconds * 1000, record: false, slot })).count;
  let spentMs = warmupSeconds * 1000;
  while (served < args['warmup-requests'] && spentMs < MAX_WARMUP_MS) {
    served += (await runCase(c, { concurrency, durationMs: 1000, record: false, slot })).count;
    spentMs += 1000;
  }
}

async function runPass(name, cases, { concurrency, measuredSeconds, warmupSeconds, rounds = args.rounds, settleSeconds = args.settle }) {
  const sliceMs = (measuredSeconds * 1000) / (2 * rounds);
  // A forced full GC before each slice is needed only when cases share one heap (--no-isolate):
  // otherwise a case would collect the garbage of the one before it. It distorts what it
  // precedes: after a full GC V8 shrinks the young generation, and the next slice pays for many
  // more scavenges, the more so the more a path allocates. Measured here, with a GC before every
  // slice the Pool baseline cost 39 µs of CPU per request instead of 31 µs and the mesh's fast
  // path came out at 87 % instead of 97 % (full policy: 60 % instead of 86 %).
  const forceGc = args.gc || !args.isolate;
  const settleMs = settleSeconds * 1000;
  const slices = new Map(cases.map((c) => [c.id, []]));
  const baselineOf = new Map(cases.filter((c) => c.pair).map((c) => [c.id, []]));
  for (const family of [...new Set(cases.map((c) => c.family))]) {
    const group = cases.filter((c) => c.family === family);
    const runners = [...new Set(roundSchedule(group, 0))];
    if (warmupSeconds > 0) {
      log(`${name}, ${family}: warm-up ${warmupSeconds} s per process, longer until ${args['warmup-requests']} requests`);
      for (const c of runners) {
        for (let slot = 0; slot < (c.processes?.length ?? 1); slot++) await warmUp(c, { concurrency, warmupSeconds, slot });
      }
    }
    for (let r = 0; r < rounds; r++) {
      const results = new Map(runners.map((c) => [c, []]));
      for (const c of roundSchedule(group, r)) {
        // Round r runs on each runner's process r mod --processes.
        if (settleMs > 0) await runCase(c, { concurrency, durationMs: settleMs, record: false, gcFirst: forceGc, slot: r });
        const res = await runCase(c, { concurrency, durationMs: sliceMs, gcFirst: forceGc && settleMs <= 0, slot: r });
        if (res.errors > 0) {
          log(`  ${c.id}: ${res.errors} errors, first: ${res.firstError?.stack ?? res.firstError}`);
          if (res.firstError?.cause) log('  cause:', res.firstError.cause);
        }
        results.get(c).push(res);
      }
      const line = [];
      for (const c of group) {
        if (c.pair) {
          const mine = mergeSlices(...results.get(c));
          const base = mergeSlices(...results.get(c.pair));
          slices.get(c.id).push(mine);
          slices.get(c.baseline).push(base);
          baselineOf.get(c.id).push(base);
          line.push(`${c.id} ${fmtPct(mine.rps / base.rps)}`);
        } else if (results.has(c)) {
          const mine = mergeSlices(...results.get(c));
          slices.get(c.id).push(mine);
          line.push(`${c.id} ${fmtInt(mine.rps)}/s`);
        }
      }
      log(`${name}, ${family}: round ${r + 1}/${rounds}: ${line.join(', ')}`);
    }
  }
  return summarise(cases, slices, baselineOf);
}

/**
 * The ranks (0-based, in sorted order) bounding a ~95 % confidence interval of the median of n
 * values: distribution-free, from the binomial(n, 1/2) (normal approximation).
 */
function medianInterval(n) {
  const half = 0.98 * Math.sqrt(n);
  return [Math.max(0, Math.floor(n / 2 - half)), Math.min(n - 1, Math.ceil(n / 2 + half) - 1)];
}

/**
 * Medians over slices. A mesh row's ratios and differences are taken per slice against its
 * own baseline's slices of the same block, then the median, with a 95 % interval for that median.
 */
function summarise(cases, slices, baselineOf) {
  const rows = [];
  for (const c of cases) {
    const rs = slices.get(c.id);
    const base = baselineOf.get(c.id);
    const ref = c.family === 'fetch' && c.id !== 'gfetch' && slices.has('gfetch') ? slices.get('gfetch') : undefined;
    const pairs = (f, other) => (other && other.length === rs.length ? rs.map((x, i) => f(x, other[i])) : []);
    const paired = (f, other) => median(pairs(f, other));
    const ratios = pairs((x, b) => x.rps / b.rps, base).sort((a, b) => a - b);
    const [lo, hi] = medianInterval(ratios.length);
    rows.push({
      id: c.id,
      label: c.label,
      family: c.family,
      policy: c.policy ?? '',
      role: c.role ?? 'mesh',
      baseline: c.baseline ?? '',
      rps: median(rs.map((x) => x.rps)),
      p50Us: median(rs.map((x) => x.p50Us)),
      p99Us: median(rs.map((x) => x.p99Us)),
      cpuUsPerReq: median(rs.map((x) => x.cpuUsPerReq)),
      clientCpu: median(rs.map((x) => x.clientCpu)),
      upstreamCpu: median(rs.map((x) => x.upstreamCpu)),
      errors: rs.reduce((n, x) => n + x.errors, 0),
      requests: rs.reduce((n, x) => n + x.count, 0),
      ratio: median(ratios),
      // How far the median ratio can be trusted on this machine: its 95 % interval.
      ratioLow: ratios.length ? ratios[lo] : Number.NaN,
      ratioHigh: ratios.length ? ratios[hi] : Number.NaN,
      addedP50Us: paired((x, b) => x.p50Us - b.p50Us, base),
      addedCpuUs: paired((x, b) => x.cpuUsPerReq - b.cpuUsPerReq, base),
      // Throughput the client would reach with its core to itself: robust to other load on the machine.
      cpuRatio: paired((x, b) => b.cpuUsPerReq / x.cpuUsPerReq, base),
      ratioVsGlobalFetch: c.id.startsWith('gfetch-') ? paired((x, b) => x.rps / b.rps, ref) : Number.NaN,
      rounds: rs,
    });
  }
  return rows;
}

/**
 * PASS/MISS of a mesh row. The p50 goal is judged on the concurrency-1 pass when it ran: at
 * concurrency 32 the client's core is saturated, so by Little's law p50 ~ 32 / req/s and the
 * "added p50" there restates the throughput ratio times the queue (1% of 1 ms = 10 µs), not what
 * one request pays.
 */
function verdict(row, { checkRatio, addedP50Us = row.addedP50Us }) {
  if (row.role !== 'mesh') return row.role;
  const misses = [];
  if (checkRatio && !(row.ratio >= GOAL_RATIO)) misses.push('req/s');
  if (!(addedP50Us <= GOAL_ADDED_P50_US)) misses.push('p50');
  if (row.errors > 0) misses.push('errors');
  if (misses.length) return `MISS (${misses.join(', ')})`;
  return checkRatio && row.ratio < AIM_RATIO ? `PASS (< ${AIM_RATIO * 100}% aim)` : 'PASS';
}

const caseName = (row) => `${row.label}${row.policy ? ` [${row.policy}]` : ''}`;

function throughputTable(rows, latency) {
  const c1 = new Map((latency ?? []).map((r) => [r.id, r.addedP50Us]));
  const table = markdownTable(
    ['case', 'req/s', 'p50', 'p99', 'ratio', 'CPU/req', 'CPU ratio', 'CPU client/upstream', 'added p50', 'added p50 @c=1', 'goal'],
    rows.map((r) => [
      caseName(r),
      fmtInt(r.rps),
      fmtUs(r.p50Us),
      fmtUs(r.p99Us),
      r.baseline ? `${fmtPct(r.ratio)} (${Math.round(r.ratioLow * 100)}–${Math.round(r.ratioHigh * 100)})` : r.role,
      `${r.cpuUsPerReq.toFixed(1)} µs`,
      r.baseline ? fmtPct(r.cpuRatio) : '',
      `${fmtPct(r.clientCpu)} / ${fmtPct(r.upstreamCpu)}`,
      r.baseline ? `${fmtSigned(r.addedP50Us)} µs` : '',
      r.baseline && c1.has(r.id) ? `${fmtSigned(c1.get(r.id))} µs` : '',
      verdict(r, { checkRatio: true, ...(c1.has(r.id) ? { addedP50Us: c1.get(r.id) } : {}) }),
    ]),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
  );
  const refs = rows
    .filter((r) => Number.isFinite(r.ratioVsGlobalFetch))
    .map((r) => `${caseName(r)}: ${fmtPct(r.ratioVsGlobalFetch)} of global fetch with no dispatcher`);
  return refs.length ? `${table}\n\nreference: ${refs.join('; ')}` : table;
}

// No CPU column here: with one request in flight the client mostly waits, and CPU per request is
// dominated by the event loop's own wake-ups, not by the call.
function latencyTable(rows) {
  return markdownTable(
    ['case', 'req/s', 'p50', 'p99', 'added p50', 'goal'],
    rows.map((r) => [
      caseName(r),
      fmtInt(r.rps),
      fmtUs(r.p50Us),
      fmtUs(r.p99Us),
      r.baseline ? `${fmtSigned(r.addedP50Us)} µs` : r.role,
      verdict(r, { checkRatio: false }),
    ]),
    ['l', 'r', 'r', 'r', 'r', 'l'],
  );
}

function gitState() {
  try {
    const run = (...a) => execFileSync('git', a, { cwd: `${HERE}..`, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { commit: run('rev-parse', '--short', 'HEAD'), dirty: run('status', '--porcelain', '--', 'src').length > 0 };
  } catch {
    return undefined;
  }
}

function machine() {
  let model = cpus()[0]?.model;
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {}
  let undiciVersion;
  try {
    undiciVersion = JSON.parse(readFileSync(new URL('../node_modules/undici/package.json', import.meta.url), 'utf8')).version;
  } catch {}
  return {
    date: new Date().toISOString(),
    cpus: onlineCpus(),
    model,
    node: process.version,
    undici: undiciVersion,
    globalFetchUndici: process.versions.undici,
    platform: `${platform()} ${arch()}`,
    loadAverage: loadavg(),
    git: gitState(),
    clientCpus: allowedCpus(),
    clientPinned: process.env.INMESH_BENCH_PINNED ?? '',
    upstreamPinned: upstream.pinned,
    nice: { client: clientNice, upstream: upstream.nice },
    taskset: Boolean(taskset()),
  };
}

// ---------------------------------------------------------------------------------------------
// profile mode

async function profile(id) {
  const c = byId.get(id);
  if (!c) throw new Error(`unknown case ${id}; known: ${CASES.map((k) => k.id).join(', ')}`);
  await prepare([c], false);
  const { Session } = await import('node:inspector/promises');
  const { summariseProfile, formatSummary } = await import('./profile-summary.mjs');
  const concurrency = args.concurrency;
  log(`profile ${id}: warm-up ${args.warmup} s, then ${args.duration} s under the CPU profiler`);
  await runLoad(c.op, { concurrency, durationMs: args.warmup * 1000, record: false });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const res = await runLoad(c.op, { concurrency, durationMs: args.duration * 1000, cpuOf });
  const { profile: prof } = await session.post('Profiler.stop');
  session.disconnect();
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const file = `${HERE}results/${id}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`;
  writeFileSync(file, JSON.stringify(prof));
  console.log(`${fmtInt(res.rps)} req/s, p50 ${fmtUs(res.p50Us)}, CPU ${res.cpuUsPerReq.toFixed(1)} µs/req`);
  console.log(`profile written to ${file}\n`);
  console.log(formatSummary(summariseProfile(prof), { top: 25 }));
}

// ---------------------------------------------------------------------------------------------
// main

try {
  if (args.profile) {
    await profile(args.profile);
  } else {
    const cases = selected;
    await prepare(cases, args.isolate);
    const meta = machine();
    const pinNote = meta.taskset
      ? `client pinned to CPU ${meta.clientPinned || '(not pinned)'}, upstream to CPU ${meta.upstreamPinned ?? '(not pinned)'}`
      : 'taskset not found: client and upstream run UNPINNED (results are noisier)';
    const niceNote = `nice ${meta.nice.client}/${meta.nice.upstream}`;
    log(`inmesh client benchmark: ${meta.model}, ${meta.cpus} CPUs, node ${meta.node}, undici ${meta.undici}; ${pinNote}, ${niceNote}`);
    log(`concurrency ${args.concurrency}, ${args.duration} s measured per case in ${args.rounds} rounds, warm-up ${args.warmup} s`);
    log(
      args.isolate
        ? `each case, and each compared case's baseline, in ${args.processes} processes of its own (pinned like this one), used in turn by round`
        : 'all cases in this process',
    );
    // The two cores are meant for the client and the upstream alone; anything else running makes
    // the client lose its core part of the time, which moves req/s far more than the mesh does.
    const busy = meta.loadAverage[0] > 0.5;
    if (busy) log(`WARNING: load average ${meta.loadAverage[0].toFixed(2)} before the run: other work on the machine will add noise`);

    const throughput = await runPass('throughput', cases, {
      concurrency: args.concurrency,
      measuredSeconds: args.duration,
      warmupSeconds: args.warmup,
    });
    let latency;
    if (args['latency-duration'] > 0) {
      // Fewer, longer slices than the throughput pass: at concurrency 1 a 20 ms slice holds ~60
      // fetches, and the first ones after the process sat idle are slow (cold caches), which read
      // as +50-70 µs on the fetch rows; 0.1 s slices after a 0.05 s settle read +1-14 µs.
      latency = await runPass('latency (concurrency 1)', cases, {
        concurrency: 1,
        measuredSeconds: args['latency-duration'],
        warmupSeconds: 0,
        rounds: args['latency-rounds'],
        settleSeconds: Math.max(args.settle, 0.05),
      });
    }
    await shutdown();

    console.log(`\n## Throughput: concurrency ${args.concurrency}, median of ${args.rounds} rounds\n`);
    console.log(
      `${meta.date} · ${meta.model} · ${meta.cpus} CPUs · node ${meta.node} · undici ${meta.undici} · ${pinNote} · ${niceNote} · load average before ${meta.loadAverage[0].toFixed(2)}${meta.git ? ` · inmesh ${meta.git.commit}${meta.git.dirty ? ' + uncommitted src changes' : ''}` : ''}\n`,
    );
    console.log(throughputTable(throughput, latency));
    console.log(
      `\nratio: req/s of the row's two slices over its baseline's two, run in one block (B M M B or M B B M) with baseline processes of its own, median of ${args.rounds} rounds (95 % interval of that median) (request rows: undici.request + Pool; mesh.fetch: undici.fetch + Agent; global fetch + mesh.dispatcher: global fetch + undici Agent). CPU ratio: the same from client CPU per request. Goal: ratio >= ${GOAL_RATIO * 100}% (aim ${AIM_RATIO * 100}%) and <= ${GOAL_ADDED_P50_US} µs added p50, judged at concurrency 1 (${latency ? 'the latency pass below' : 'skipped: judged at this concurrency instead'}); at concurrency ${args.concurrency} p50 is queueing, ~ ${args.concurrency} / req/s.`,
    );
    const starved = throughput.filter((r) => r.clientCpu < 0.9);
    if (starved.length) {
      console.log(
        `WARNING: the client got < 90% of its core in ${starved.map((r) => r.id).join(', ')} (other load on the machine, or waiting on the upstream): read CPU ratio beside ratio.`,
      );
    }
    const saturated = throughput.filter((r) => r.upstreamCpu > 0.9);
    if (saturated.length) {
      console.log(
        `WARNING: the upstream used > 90% of its CPU in ${saturated.map((r) => r.id).join(', ')}: those rows measure the upstream, not the client; read CPU/req instead.`,
      );
    }
    if (latency) {
      console.log(`\n## Latency: concurrency 1, median of ${args['latency-rounds']} rounds\n`);
      console.log(latencyTable(latency));
    }

    let memory;
    if (args.memory) {
      const { runMemory, memoryTable } = await import('./memory.mjs');
      log(`memory: ${args['memory-runs']} fresh processes per figure`);
      memory = await runMemory({ runs: args['memory-runs'] });
      console.log(`\n## Memory: RSS after GC, median of ${args['memory-runs']} fresh processes\n`);
      console.log(memoryTable(memory));
    }

    if (args.json) {
      const dir = new URL('./results/', import.meta.url);
      mkdirSync(dir, { recursive: true });
      const file = `${HERE}results/client-${meta.date.replace(/[:.]/g, '-')}.json`;
      writeFileSync(file, `${JSON.stringify({ meta, options: args, throughput, latency, memory }, null, 2)}\n`);
      console.log(`\nresults written to ${file}`);
    }
  }
} finally {
  await shutdown();
}
