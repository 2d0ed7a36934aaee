#!/usr/bin/env bash
# Packs the package as npm would publish it, installs the tarball in an empty project, and checks
# that it imports from ESM and from CommonJS and that its `inmesh` command runs.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --prefer-offline "./$tarball" >/dev/null
cat > esm.mjs <<'JS'
import { createMesh, InmeshError } from 'inmesh';
const mesh = await createMesh({ config: { discovery: [{ static: { api: ['127.0.0.1:9'] } }] } });
if (typeof mesh.fetch !== 'function' || !(new InmeshError('ERR_NO_SERVICE') instanceof InmeshError)) throw new Error('bad ESM export');
await mesh.close();
console.log('esm ok');
JS
cat > cjs.cjs <<'JS'
const { createMesh, InmeshError } = require('inmesh');
createMesh({ config: { discovery: [{ static: { api: ['127.0.0.1:9'] } }] } }).then(async (mesh) => {
  if (typeof mesh.fetch !== 'function' || !(new InmeshError('ERR_NO_SERVICE') instanceof InmeshError)) throw new Error('bad CJS export');
  await mesh.close();
  console.log('cjs ok');
});
JS
node esm.mjs
node cjs.cjs
npx --no-install inmesh --version
echo "package ok: $tarball"
