// Runs scripts/gen-schema.ts: `node scripts/gen-schema.mjs` writes schema/inmesh.schema.json and
// docs/config.md; `--check` exits 1 when the checked-in files differ from what the schema gives.
//
// Node 20 cannot run TypeScript, so the script is bundled first with esbuild (installed with
// tsup). Packages stay external: the bundle imports valibot and @valibot/to-json-schema from
// node_modules, and bundles only our sources.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const outfile = join(root, '.tmp', 'gen-schema.mjs');

await build({
  entryPoints: [join(root, 'scripts', 'gen-schema.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});

const { main } = await import(pathToFileURL(outfile).href);
process.exitCode = await main(root, process.argv.slice(2));
