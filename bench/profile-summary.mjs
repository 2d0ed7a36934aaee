// bench: top self-time functions of a V8 .cpuprofile (from `node --cpu-prof` or
// `npm run bench:client -- --profile <case>`), overall and for inmesh's own code (dist/).
//
//   node bench/profile-summary.mjs FILE.cpuprofile [--top 25]
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

const sourceMaps = new Map();
/** `src/...ts:line` of a position in a bundled dist file, through its source map when there is one. */
function original(file, line, column) {
  if (!/\/dist\/[^/]+\.js$/.test(file)) return undefined;
  let map = sourceMaps.get(file);
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    } catch {
      map = null;
    }
    sourceMaps.set(file, map);
  }
  const entry = map?.findEntry(line, column);
  if (!entry?.originalSource) return undefined;
  return `${entry.originalSource.replace(/^.*?\/?(src\/)/, '$1')}:${entry.originalLine + 1}`;
}

/** Self time per function (summed over its nodes), in ms, with its share of the profile. */
export function summariseProfile(profile) {
  const { nodes, samples = [], timeDeltas = [] } = profile;
  const byNode = new Map(nodes.map((n) => [n.id, n]));
  // Time of a sample is the delta to the next one; the last sample gets the mean.
  const selfUs = new Map();
  let total = 0;
  for (let i = 0; i < samples.length; i++) {
    const dt = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0;
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + dt);
    total += dt;
  }
  if (samples.length === 0) {
    // Profiles without samples still have hit counts.
    const span = profile.endTime - profile.startTime;
    const hits = nodes.reduce((n, x) => n + (x.hitCount ?? 0), 0) || 1;
    for (const n of nodes) selfUs.set(n.id, ((n.hitCount ?? 0) * span) / hits);
    total = span;
  }
  const byFunction = new Map();
  for (const [id, us] of selfUs) {
    const { callFrame: f } = byNode.get(id);
    const file = f.url ? f.url.replace(/^file:\/\//, '') : '';
    const key = `${f.functionName || '(anonymous)'}\u0000${file}\u0000${f.lineNumber}`;
    const entry = byFunction.get(key) ?? {
      name: f.functionName || (file ? '(anonymous)' : f.functionName),
      file,
      line: f.lineNumber + 1,
      source: original(file, f.lineNumber, f.columnNumber),
      selfMs: 0,
    };
    entry.selfMs += us / 1000;
    byFunction.set(key, entry);
  }
  const functions = [...byFunction.values()]
    .map((f) => ({ ...f, share: total ? f.selfMs / (total / 1000) : 0 }))
    .sort((a, b) => b.selfMs - a.selfMs);
  const inDist = functions.filter((f) => /\/dist\/[^/]+$/.test(f.file) && !f.file.includes('node_modules'));
  const group = (pred) => functions.filter(pred).reduce((n, f) => n + f.share, 0);
  const idle = group((f) => f.name === '(idle)' || f.name === '(program)');
  // Shares of the time the thread was busy: comparable between profiles however idle they were.
  const busy = (pred) => (idle < 1 ? group(pred) / (1 - idle) : 0);
  const lib = (name) => (f) => f.file.includes(`node_modules/${name}/`);
  return {
    totalMs: total / 1000,
    functions,
    inDist,
    shares: {
      inmesh: group((f) => inDist.includes(f)),
      undici: group(lib('undici')),
      nodeInternal: group((f) => f.file.startsWith('node:')),
      gc: group((f) => f.name === '(garbage collector)'),
      idle,
    },
    busyShares: {
      inmesh: busy((f) => inDist.includes(f)),
      'prom-client': busy(lib('prom-client')),
      opossum: busy(lib('opossum')),
      '@opentelemetry/api': busy(lib('@opentelemetry/api')),
      undici: busy(lib('undici')),
      'node internals': busy((f) => f.file.startsWith('node:')),
      'native (syscalls, parser, ...)': busy((f) => !f.file && !/^\((idle|program|garbage collector)\)$/.test(f.name)),
      GC: busy((f) => f.name === '(garbage collector)'),
    },
  };
}

const where = (f) => (f.file ? `${f.file.replace(/^.*\/(node_modules\/|dist\/)/, '$1')}:${f.line}${f.source ? ` (${f.source})` : ''}` : '');

export function formatSummary(summary, { top = 25 } = {}) {
  const pct = (x) => `${(x * 100).toFixed(1).padStart(5)}%`;
  const lines = [];
  const s = summary.shares;
  lines.push(
    `profile ${summary.totalMs.toFixed(0)} ms: inmesh dist ${pct(s.inmesh)}, undici ${pct(s.undici)}, node internals ${pct(
      s.nodeInternal,
    )}, GC ${pct(s.gc)}, idle/program ${pct(s.idle)}`,
  );
  lines.push(
    `busy time (idle excluded): ${Object.entries(summary.busyShares)
      .map(([k, v]) => `${k} ${pct(v).trim()}`)
      .join(', ')}`,
  );
  lines.push('', `top ${top} self time, all code:`);
  for (const f of summary.functions.slice(0, top)) lines.push(`  ${pct(f.share)}  ${f.name}  ${where(f)}`);
  lines.push('', `top ${top} self time in dist/ (inmesh):`);
  for (const f of summary.inDist.slice(0, top)) lines.push(`  ${pct(f.share)}  ${f.name}  ${where(f)}`);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/profile-summary.mjs FILE.cpuprofile [--top N]');
    process.exit(2);
  }
  const topAt = process.argv.indexOf('--top');
  const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 25;
  console.log(formatSummary(summariseProfile(JSON.parse(readFileSync(file, 'utf8'))), { top }));
}
