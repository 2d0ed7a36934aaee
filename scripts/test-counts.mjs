// Prints a vitest JSON report's counts as the last line: `tests: N passed, N failed`, so a run
// that executed no test is seen for what it is (it exits 1 then).
import { readFileSync } from 'node:fs';

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.log(`no test report (${err.message})`);
  console.log('tests: 0 passed, 0 failed');
  process.exit(1);
}
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
if (skipped > 0) console.log(`skipped: ${skipped} (see the warnings above for why)`);
const failedSuites = (report.testResults ?? []).filter((r) => r.status === 'failed' && (r.assertionResults ?? []).length === 0);
for (const suite of failedSuites) console.log(`suite failed to run: ${suite.name}: ${(suite.message ?? '').split('\n')[0]}`);
console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests + failedSuites.length} failed`);
process.exit(report.numTotalTests > 0 && report.numFailedTests === 0 && failedSuites.length === 0 ? 0 : 1);
