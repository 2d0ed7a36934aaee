// bench: one case of the client benchmark in its own process (bench/client.mjs --isolate starts
// one per case, pinned to the client's core). It builds only its case, then runs slices when the
// parent asks, over IPC, so that cases are interleaved in time but share no JIT state, heap or
// inline caches: a process running one mesh is what a service is.
//   node bench/client-case.mjs <case id> <upstream port 0> <upstream port 1>
import { CASES, createResources } from './cases.mjs';
import { runLoad } from './lib.mjs';

const [id, port0, port1] = process.argv.slice(2);
const spec = CASES.find((c) => c.id === id);
if (!spec || !process.send) {
  console.error(`client-case: unknown case ${id}, or not started with an IPC channel`);
  process.exit(2);
}
const undici = await import('undici');
const { createMesh } = await import('inmesh');
const resources = createResources({ undici, createMesh, port0: Number(port0), port1: Number(port1) });
const op = await spec.make(resources);
const gc = globalThis.gc ?? (() => {});

process.on('message', async (message) => {
  if (message.type === 'close') {
    await resources.close();
    process.exit(0);
  }
  if (message.type !== 'run') return;
  if (message.gc) gc();
  const res = await runLoad(op, { concurrency: message.concurrency, durationMs: message.durationMs, record: message.record });
  const firstError = res.firstError ? String(res.firstError.stack ?? res.firstError) : undefined;
  delete res.firstError;
  process.send({ type: 'result', seq: message.seq, res, firstError });
});
process.send({ type: 'ready' });
