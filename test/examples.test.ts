// The examples are part of the docs: each must run to completion against the built package.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const built = existsSync(`${root}dist/index.js`) && existsSync(`${root}dist/cli.js`);
if (!built) console.warn('SKIPPED test/examples.test.ts: dist/ is missing; `npm test` builds it (npm run build)');

describe.skipIf(!built)('examples', () => {
  const node = (file: string, env: Record<string, string> = {}) =>
    run(process.execPath, [`${root}examples/${file}`], { cwd: root, env: { ...process.env, ...env }, timeout: 30_000 });

  it('quickstart.mjs routes by name and honours the canary header', async () => {
    const { stdout } = await node('quickstart.mjs');
    expect(stdout).toContain("stable: { version: 'v1', path: '/charge' }");
    expect(stdout).toContain("canary: { version: 'v2', path: '/charge' }");
  });

  it('mtls-service.mjs allows orders to charge and denies the rest', async () => {
    const { stdout } = await node('mtls-service.mjs');
    expect(stdout).toContain("200 { charged: true, caller: 'spiffe://example.org/sa/orders' }");
    expect(stdout).toContain('403');
    expect(stdout).toContain('ERR_AUTHZ_DENIED');
  });

  it('observability.mjs prints its dashboard and stops', async () => {
    const { stdout } = await node('observability.mjs', { INMESH_EXAMPLE_ONCE: '1' });
    expect(stdout).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+\/dashboard/);
  });

  it('mesh.yaml is a valid config', async () => {
    const { stdout } = await run(process.execPath, [`${root}dist/cli.js`, 'validate', `${root}examples/mesh.yaml`]);
    expect(stdout).toContain('examples/mesh.yaml: ok');
  });
});
