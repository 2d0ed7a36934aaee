// bench: shared helpers of the benchmarks: CPU pinning, the upstream process, the closed-loop load
// generator, latency statistics and table printing. Plain ESM, no dependencies.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// ---------------------------------------------------------------------------------------------
// CPU pinning

/** The CPUs this process may run on, from /proc (Linux); undefined elsewhere. */
export function allowedCpus() {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    return /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1];
  } catch {
    return undefined;
  }
}

let tasksetPath;
/** Path of util-linux `taskset`, or null when it is missing. */
export function taskset() {
  if (tasksetPath !== undefined) return tasksetPath;
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    tasksetPath = 'taskset';
  } catch {
    tasksetPath = null;
  }
  return tasksetPath;
}

/** Number of CPUs online (what `nproc` prints, ignoring this process's affinity). */
export function onlineCpus() {
  try {
    return Number(execFileSync('nproc', ['--all'], { encoding: 'utf8' }).trim());
  } catch {
    return undefined;
  }
}

/**
 * Re-runs this script under `taskset -c <cpu>` with `execArgv` added, unless already pinned there
 * (marked by an env var, so a failed pin cannot loop). Resolves to true in the process that should
 * do the work; in the parent it waits for the child and exits with its code.
 */
export async function ensurePinned(cpu, execArgv, script, args) {
  if (process.env.INMESH_BENCH_CHILD === '1') return true;
  const env = { ...process.env, INMESH_BENCH_CHILD: '1' };
  const nodeArgs = [...new Set([...process.execArgv, ...execArgv])];
  const ts = taskset();
  const canPin = ts && (onlineCpus() ?? 1) > cpu;
  env.INMESH_BENCH_PINNED = canPin ? String(cpu) : '';
  const [cmd, argv] = canPin
    ? [ts, ['-c', String(cpu), process.execPath, ...nodeArgs, script, ...args]]
    : [process.execPath, [...nodeArgs, script, ...args]];
  const child = spawn(cmd, argv, { stdio: 'inherit', env });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
  process.exit(code);
}

/**
 * Raises the scheduling priority (lowers the nice value) of `pid` (0: this process) to `nice`.
 * Pinning alone does not keep other programs off the benchmark's cores; a higher priority does,
 * mostly. Needs root or CAP_SYS_NICE; returns the nice value in effect either way.
 */
export function raisePriority(pid, nice) {
  try {
    if (getPriority(pid) > nice) setPriority(pid, nice);
  } catch {}
  try {
    return getPriority(pid);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// upstream process

let clockTicks;
function ticksPerSecond() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU time (user + system) of a process in microseconds, from /proc/<pid>/stat; undefined elsewhere. */
export function processCpuMicros(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces): utime is the 12th,
    // stime the 13th of what follows ") ".
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(rest[11]) + Number(rest[12])) * 1e6) / ticksPerSecond();
  } catch {
    return undefined;
  }
}

/**
 * Starts bench/upstream.mjs listening on `ports` loopback ports, pinned to `cpu` when taskset
 * exists. Returns { ports, pid, pinned, stop() }.
 */
export async function startUpstream({ ports = 1, cpu = 1, nice } = {}) {
  const script = fileURLToPath(new URL('./upstream.mjs', import.meta.url));
  const ts = taskset();
  const canPin = ts && (onlineCpus() ?? 1) > cpu;
  const [cmd, argv] = canPin
    ? [ts, ['-c', String(cpu), process.execPath, script, String(ports)]]
    : [process.execPath, [script, String(ports)]];
  // stdin is a pipe the upstream watches: when this process dies, the upstream exits too.
  // taskset execs node, so the child's pid is the server's pid (for /proc CPU readings).
  const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const line = await new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', (l) => {
      rl.close();
      resolve(l);
    });
    child.once('exit', (code) => reject(new Error(`upstream exited with ${code} before listening`)));
  });
  const { ports: list } = JSON.parse(line);
  const niceness = nice === undefined ? undefined : raisePriority(child.pid, nice);
  return {
    nice: niceness,
    ports: list,
    pid: child.pid,
    pinned: canPin ? cpu : undefined,
    cpuMicros: () => processCpuMicros(child.pid),
    async stop() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// load generation

/** A growable array of latency samples in milliseconds. */
export class Samples {
  constructor(capacity = 1 << 16) {
    this.values = new Float64Array(capacity);
    this.length = 0;
  }
  push(v) {
    if (this.length === this.values.length) {
      const next = new Float64Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    this.values[this.length++] = v;
  }
  /** Sorted copy of the samples. */
  sorted() {
    return this.values.slice(0, this.length).sort();
  }
}

/** The q-quantile (0..1) of a sorted array, nearest rank. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * Closed loop: `concurrency` workers each send a request, wait for it (body consumed by `op`),
 * and send the next, until `durationMs` has passed. Requests started before the deadline are
 * finished and counted. Returns counts, throughput, latency quantiles and CPU use.
 */
export async function runLoad(op, { concurrency, durationMs, record = true, cpuOf }) {
  const samples = new Samples(record ? 1 << 15 : 1);
  let count = 0;
  let errors = 0;
  let firstError;
  const cpu0 = process.cpuUsage();
  const peer0 = cpuOf?.();
  const start = performance.now();
  const deadline = start + durationMs;
  async function worker() {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= deadline) return;
      try {
        await op();
      } catch (err) {
        errors++;
        firstError ??= err;
        continue;
      }
      if (record) samples.push(performance.now() - t0);
      count++;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const peer1 = cpuOf?.();
  const sorted = record ? samples.sorted() : new Float64Array(0);
  return {
    count,
    errors,
    firstError,
    elapsedMs,
    rps: (count * 1000) / elapsedMs,
    p50Us: quantile(sorted, 0.5) * 1000,
    p90Us: quantile(sorted, 0.9) * 1000,
    p99Us: quantile(sorted, 0.99) * 1000,
    // CPU per request of this process (client + load generator), and CPU shares of the window.
    cpuUsPerReq: (cpu.user + cpu.system) / Math.max(1, count),
    clientCpu: (cpu.user + cpu.system) / (elapsedMs * 1000),
    upstreamCpu: peer0 !== undefined && peer1 !== undefined ? (peer1 - peer0) / (elapsedMs * 1000) : Number.NaN,
  };
}

// ---------------------------------------------------------------------------------------------
// output

/** A Markdown table from a header row and rows of cells, columns padded for the terminal. */
export function markdownTable(header, rows, align = []) {
  const all = [header, ...rows].map((r) => r.map((c) => String(c)));
  const widths = header.map((_, i) => Math.max(3, ...all.map((r) => r[i].length)));
  const fmt = (r) => `| ${r.map((c, i) => (align[i] === 'r' ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [fmt(all[0]), rule, ...all.slice(1).map(fmt)].join('\n');
}

export const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
export const fmtUs = (n) => (Number.isFinite(n) ? `${Math.round(n)} µs` : '-');
export const fmtSigned = (n) => (Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${Math.round(n)}` : '-');
export const fmtPct = (n) => (Number.isFinite(n) ? `${(n * 100).toFixed(1)}%` : '-');
export const fmtMiB = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 1048576).toFixed(2)} MiB` : '-');

/** Parses `--name value`, `--name=value` and bare `--flag` into an object. */
export function parseArgs(argv, spec) {
  const out = {};
  for (const [name, { default: d }] of Object.entries(spec)) out[name] = d;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    let [name, value] = arg.slice(2).split(/=(.*)/s);
    const negated = !(name in spec) && name.startsWith('no-') && name.slice(3) in spec;
    if (negated) name = name.slice(3);
    const opt = spec[name];
    if (!opt)
      throw new Error(
        `unknown option --${name}; known: ${Object.keys(spec)
          .map((k) => `--${k}`)
          .join(', ')}`,
      );
    if (opt.type === 'boolean') {
      out[name] = negated ? false : value === undefined ? true : value !== 'false';
      continue;
    }
    if (value === undefined) value = argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    if (opt.type === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n) || n < (opt.min ?? 0)) throw new Error(`--${name} expects a number >= ${opt.min ?? 0}, got ${value}`);
      out[name] = n;
    } else out[name] = value;
  }
  return out;
}

/**
 * The command line of a bench script: its options parsed by `spec`, or, on a bad option, the
 * error printed and exit 2; with --help, every option with its default printed and exit 0.
 */
export function parseCommandLine(argv, spec, usage) {
  let args;
  try {
    args = parseArgs(argv, spec);
  } catch (err) {
    console.error(err.message);
    process.exit(2);
  }
  if (args.help) {
    console.log(`${usage}\n`);
    const width = Math.max(...Object.keys(spec).map((name) => name.length)) + 2;
    for (const [name, o] of Object.entries(spec)) {
      console.log(`  --${name.padEnd(width)} ${o.help}${o.type === 'boolean' ? '' : ` (default ${JSON.stringify(o.default)})`}`);
    }
    process.exit(0);
  }
  return args;
}
