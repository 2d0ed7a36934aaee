// bench: one case of the instruction benchmark (bench/instructions.mjs runs it under callgrind).
// Sends exactly `count` requests at concurrency 32, then exits: a fixed amount of work, so that
// the difference between two counts' instruction totals is what the extra requests cost.
//   node bench/instructions-case.mjs <case id> <upstream port 0> <upstream port 1> <count>
import { CASES, createResources } from './cases.mjs';

const [id, port0, port1, count] = process.argv.slice(2);
const spec = CASES.find((c) => c.id === id);
if (!spec || !(Number(count) >= 0)) {
  console.error(`instructions-case: unknown case ${id} or bad count ${count}`);
  process.exit(2);
}
const CONCURRENCY = 32;
const undici = await import('undici');
const { createMesh } = await import('inmesh');
// Under callgrind the client runs ~50 times slower: the full policy's timeouts are stretched so
// that they still never fire (they are armed and cleared on every call all the same).
const resources = createResources({ undici, createMesh, port0: Number(port0), port1: Number(port1), timeScale: 100 });
const op = await spec.make(resources);
let left = Number(count);
let failed = 0;
async function worker() {
  while (left-- > 0) {
    try {
      await op();
    } catch (err) {
      if (failed++ === 0) console.error(`${id}: ${err?.stack ?? err}`);
    }
  }
}
await Promise.all(Array.from({ length: CONCURRENCY }, worker));
await resources.close();
if (failed > 0) {
  console.error(`${id}: ${failed} of ${count} requests failed`);
  process.exit(1);
}
