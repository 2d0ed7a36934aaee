#!/usr/bin/env bash
# The README's test command (`npm test`): brings what the tests need, then runs the whole suite
# (unit + integration) and ends with its counts on a line of their own: `tests: N passed, N failed`.
#   - npm dependencies, when node_modules is missing or older than package-lock.json;
#   - the system servers the integration tests start (scripts/system-deps.sh, apt when it can;
#     it names loudly any suite that cannot run);
#   - a build, for the tests that import the packed package.
# Extra arguments go to vitest (e.g. `npm test -- test/integration`).
set -uo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund || exit 1
fi
if [ -f scripts/system-deps.sh ]; then bash scripts/system-deps.sh; fi
if [ ! -f dist/index.js ] || [ -n "$(find src -newer dist/index.js -name '*.ts' -print -quit)" ]; then
  echo "== building"
  npm run build --silent || exit 1
fi

# A unique results file: the suite may run twice at once in one checkout.
results="$(mktemp "${TMPDIR:-/tmp}/inmesh-vitest-XXXXXX.json")"
trap 'rm -f "$results"' EXIT
node_modules/.bin/vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@"
status=$?
node scripts/test-counts.mjs "$results" || status=1
exit $status
