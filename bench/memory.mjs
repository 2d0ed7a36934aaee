// bench: the memory part of issue #2 §6. Each figure is the median over fresh processes
// (bench/memory-probe.mjs under `node --expose-gc`) of RSS after GC:
//   (a) import 'inmesh' beyond undici + prom-client + @opentelemetry/api alone   goal <= 5 MiB
//   (b) createMesh with 100 services (static, 2 endpoints each) on top of (a)      goal <= 8 MiB
//
//   node bench/memory.mjs [--runs 5] [--services 100] [--json]
// `npm run bench:client` runs it at the end (skip with --no-memory).
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { fmtMiB, markdownTable, median, parseArgs } from './lib.mjs';

const PROBE = fileURLToPath(new URL('./memory-probe.mjs', import.meta.url));
const MiB = 1048576;
const GOAL_IMPORT = 5 * MiB;
const GOAL_MESH = 8 * MiB;

async function probe(services) {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', PROBE, String(services)], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
  });
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

/** Runs the probe `runs` times, one after another (so they do not compete for memory or CPU). */
export async function runMemory({ runs = 5, services = 100 } = {}) {
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(await probe(services));
  const delta = (from, to, field) => median(samples.map((s) => s[to][field] - s[from][field]));
  const figure = (from, to, goal) => ({
    rss: delta(from, to, 'rss'),
    heapUsed: delta(from, to, 'heapUsed'),
    external: delta(from, to, 'external'),
    rssRuns: samples.map((s) => s[to].rss - s[from].rss),
    goal,
  });
  return {
    runs,
    services,
    baseline: {
      bareRss: median(samples.map((s) => s.start.rss)),
      depsRss: median(samples.map((s) => s.deps.rss)),
    },
    importInmesh: figure('deps', 'inmesh', GOAL_IMPORT),
    createMesh: figure('inmesh', 'mesh', GOAL_MESH),
    samples,
  };
}

export function memoryTable(m) {
  const row = (name, f) => [
    name,
    fmtMiB(f.rss),
    fmtMiB(f.heapUsed),
    f.rssRuns.map((x) => (x / MiB).toFixed(1)).join(' '),
    `<= ${fmtMiB(f.goal)}`,
    f.rss <= f.goal ? 'PASS' : 'MISS',
  ];
  return [
    markdownTable(
      ['what', 'RSS added', 'heap used added', 'RSS added per run (MiB)', 'goal', ''],
      [
        row("import 'inmesh' (after undici, prom-client, @opentelemetry/api)", m.importInmesh),
        row(`createMesh, ${m.services} services x 2 static endpoints`, m.createMesh),
      ],
      ['l', 'r', 'r', 'l', 'r', 'l'],
    ),
    '',
    `for scale: bare node ${fmtMiB(m.baseline.bareRss)} RSS; with undici + prom-client + @opentelemetry/api ${fmtMiB(m.baseline.depsRss)}`,
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = parseArgs(process.argv.slice(2), {
    runs: { type: 'number', default: 5, min: 1 },
    services: { type: 'number', default: 100, min: 1 },
    json: { type: 'boolean', default: false },
  });
  const m = await runMemory(args);
  console.log(`## Memory: RSS after GC, median of ${m.runs} fresh processes\n`);
  console.log(memoryTable(m));
  if (args.json) {
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    const file = fileURLToPath(new URL(`./results/memory-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, import.meta.url));
    writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, ...m }, null, 2)}\n`);
    console.log(`\nresults written to ${file}`);
  }
}
