// bench: what each client path costs in CPU instructions per request, counted by callgrind
// (`npm run bench:instructions`). The throughput benchmark (bench/client.mjs) measures time,
// which this shared 2-vCPU VM moves by ±10-30 % between runs; an instruction count is the same
// to within ~1 % from one run to the next, whatever else the machine is doing. It is not a
// throughput (cache misses and branch mispredictions are not in it, and the kernel's share of
// each request is not counted), but it says exactly how much work the mesh adds to each call.
//
// Method: each case runs twice under `valgrind --tool=callgrind` (bench/instructions-case.mjs),
// with `count1` then `count2` requests at concurrency 32, against the same upstream as
// bench/client.mjs (which runs natively on the other core). Start-up, JIT warm-up and shutdown
// are the same in both runs, so
//   instructions per request = (total(count2) - total(count1)) / (count2 - count1).
// Node runs with --single-threaded: V8 compiles and collects garbage on the main thread, so the
// count does not depend on how background threads happened to be scheduled (GC and JIT work is
// counted, as it should be: the mesh's garbage is part of its cost).
// And with --no-memory-reducer: V8's memory reducer starts a full GC when the allocation rate
// per second of wall time is low, which under callgrind (~50x slower) it always is: a run would
// pay for major GCs in proportion to its wall time rather than its work. Even so, the same Pool
// has read 145k to 169k instructions per request from one run to another (JIT and GC timing):
// compare rows of one run, and repeat a run before trusting a difference of a few thousand.
//
// --functions N also names where the difference goes: V8 writes a perf map of its JIT code
// (--perf-basic-prof), callgrind's unnamed code addresses are looked up in it, and the N
// functions whose instructions per request grew the most are printed for each mesh case
// (perf-map logging adds work of its own, so totals with --functions are a little higher).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selectCases } from './cases.mjs';
import { fmtInt, fmtPct, markdownTable, parseCommandLine, startUpstream } from './lib.mjs';

const OPTIONS = {
  only: { type: 'string', default: '', help: 'comma-separated case ids (their baselines are added)' },
  'request-counts': { type: 'string', default: '4000,12000', help: 'the two request counts of the request family' },
  'fetch-counts': { type: 'string', default: '3000,9000', help: 'the two request counts of the fetch family' },
  functions: { type: 'number', default: 0, min: 0, help: 'print the N functions that grew most per mesh case' },
  help: { type: 'boolean', default: false, help: 'this text' },
};
// The default set: every request row, and the fetch rows whose baseline is npm undici's fetch
// or global fetch over an undici Agent (each fetch case takes about two minutes under callgrind).
const DEFAULT_CASES = [
  'request-pool',
  'request-mesh',
  'request-mesh-bare',
  'request-mesh-full',
  'ufetch-agent',
  'mesh-fetch',
  'gfetch-agent',
  'gfetch-mesh',
];

const args = parseCommandLine(process.argv.slice(2), OPTIONS, 'npm run bench:instructions -- [options]');

try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  console.error('bench:instructions needs valgrind (Debian/Ubuntu: apt-get install -y valgrind); nothing was measured.');
  process.exit(1);
}

const counts = (text) => {
  const [a, b] = text.split(',').map(Number);
  if (!(a >= 0 && b > a)) throw new Error(`bad counts "${text}": two numbers, the second larger`);
  return [a, b];
};
let COUNTS;
try {
  COUNTS = { request: counts(args['request-counts']), fetch: counts(args['fetch-counts']) };
} catch (err) {
  console.error(err.message);
  process.exit(2);
}
const CASE_SCRIPT = fileURLToPath(new URL('./instructions-case.mjs', import.meta.url));
const log = (...a) => console.error(...a);

/** Runs one case under callgrind; resolves to its instruction total (and totals by function when asked). */
function callgrind(c, count, ports, withFunctions) {
  const dir = mkdtempSync(join(tmpdir(), 'inmesh-cg-'));
  const out = join(dir, 'callgrind.out');
  const nodeArgs = [
    '--single-threaded',
    '--no-memory-reducer',
    ...(withFunctions ? ['--perf-basic-prof', '--interpreted-frames-native-stack'] : []),
  ];
  const caseArgs = [c.id, String(ports[0]), String(ports[1]), String(count)];
  const argv = [
    '--tool=callgrind',
    `--callgrind-out-file=${withFunctions ? out : '/dev/null'}`,
    process.execPath,
    ...nodeArgs,
    CASE_SCRIPT,
    ...caseArgs,
  ];
  return new Promise((resolve, reject) => {
    // In its own directory: with --perf-basic-prof, V8 also writes an isolate-*.log to the cwd.
    const child = spawn('valgrind', argv, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('exit', (code) => {
      try {
        const total = /Collected : (\d+)/.exec(stderr);
        if (code !== 0 || !total)
          throw new Error(`${c.id} (${count} requests) failed under callgrind (exit ${code}):\n${stderr.slice(-2000)}`);
        const functions = withFunctions ? functionTotals(out, `/tmp/perf-${child.pid}.map`) : undefined;
        resolve({ total: Number(total[1]), functions });
      } catch (err) {
        reject(err);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        rmSync(`/tmp/perf-${child.pid}.map`, { force: true });
      }
    });
  });
}

/** Instructions by function from a callgrind file, JIT code named through V8's perf map. */
function functionTotals(file, perfMap) {
  let ranges = [];
  try {
    ranges = readFileSync(perfMap, 'utf8')
      .split('\n')
      .map((l) => /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(l))
      .filter(Boolean)
      .map((m) => [Number.parseInt(m[1], 16), Number.parseInt(m[2], 16), m[3]])
      .sort((a, b) => a[0] - b[0]);
  } catch {}
  const nameAt = (addr) => {
    let lo = 0;
    let hi = ranges.length - 1;
    let best;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (ranges[mid][0] <= addr) {
        best = ranges[mid];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best && addr < best[0] + best[1] ? best[2] : 'JIT code (unnamed)';
  };
  const text = execFileSync('callgrind_annotate', ['--threshold=100', file], { maxBuffer: 1 << 28 }).toString();
  const totals = new Map();
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+) \([^)]*\)\s+(.*)$/.exec(line);
    if (!m || m[2].startsWith('PROGRAM TOTALS')) continue;
    let name = m[2].replace(/ \[[^\]]*\]$/, '');
    const addr = /^\?\?\?:0x([0-9a-f]+)/.exec(name);
    if (addr) name = nameAt(Number.parseInt(addr[1], 16));
    name = name.replace(/^(JS|LazyCompile|Function|Builtin):[*~^+]?/, '').replace(/^\?\?\?:/, '');
    totals.set(name, (totals.get(name) ?? 0) + Number(m[1].replaceAll(',', '')));
  }
  return totals;
}

let cases;
try {
  // No controls here: a control measures process luck in time, and this counts work.
  cases = selectCases(args.only || DEFAULT_CASES.join(',')).filter((c) => c.role !== 'control');
} catch (err) {
  console.error(err.message);
  process.exit(2);
}
const upstream = await startUpstream({ ports: 2, cpu: 1 });
const results = new Map();
try {
  for (const c of cases) {
    const [n1, n2] = COUNTS[c.family];
    const withFunctions = args.functions > 0;
    const started = Date.now();
    const a = await callgrind(c, n1, upstream.ports, withFunctions);
    const b = await callgrind(c, n2, upstream.ports, withFunctions);
    const perRequest = (b.total - a.total) / (n2 - n1);
    let functions;
    if (withFunctions) {
      functions = new Map();
      for (const name of new Set([...a.functions.keys(), ...b.functions.keys()])) {
        functions.set(name, ((b.functions.get(name) ?? 0) - (a.functions.get(name) ?? 0)) / (n2 - n1));
      }
    }
    results.set(c.id, { perRequest, functions });
    const seconds = Math.round((Date.now() - started) / 1000);
    log(`${c.id}: ${fmtInt(perRequest)} instructions per request (${n1} and ${n2} requests, ${seconds} s)`);
  }
} finally {
  await upstream.stop();
}

const rows = cases.map((c) => {
  const mine = results.get(c.id).perRequest;
  const base = c.baseline ? results.get(c.baseline).perRequest : undefined;
  return [
    `${c.label}${c.policy ? ` [${c.policy}]` : ''}`,
    fmtInt(mine),
    base === undefined ? (c.role ?? 'baseline') : `+${fmtInt(mine - base)}`,
    base === undefined ? '' : fmtPct(base / mine),
  ];
});
console.log(`\n## Instructions per request (callgrind, node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'})\n`);
console.log(markdownTable(['case', 'instructions / request', 'added by the mesh', 'baseline / case'], rows, ['l', 'r', 'r', 'r']));
console.log("\nbaseline / case: the share of its baseline's request rate the case would keep if time were instructions.");

if (args.functions > 0) {
  for (const c of cases.filter((x) => x.baseline)) {
    const mine = results.get(c.id).functions;
    const base = results.get(c.baseline).functions;
    const grown = [...mine.keys()]
      .map((name) => [name, (mine.get(name) ?? 0) - (base.get(name) ?? 0)])
      .sort((x, y) => y[1] - x[1])
      .slice(0, args.functions);
    console.log(`\n### ${c.id}: the ${args.functions} functions that grew most against ${c.baseline} (instructions per request)\n`);
    console.log(
      markdownTable(
        ['added', 'function'],
        grown.map(([name, d]) => [fmtInt(d), name.slice(0, 120)]),
        ['r', 'l'],
      ),
    );
  }
}
