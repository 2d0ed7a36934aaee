// Issue #4 §4: the dashboard in a real browser (Debian's chromium, driven by playwright-core):
// the page shows this service and its upstreams, and the numbers move once traffic flows.
// A screenshot is kept in test-artifacts/ for a person to look at.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMesh, type Mesh } from '../../src/index.js';
import { type Load, startLoad } from '../helpers/load.js';
import { recordingLogger } from '../helpers/quiet.js';
import { startUpstream, type Upstream } from '../helpers/upstream.js';

const CHROMIUM = process.env.INMESH_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `SKIPPED test/admin/dashboard.browser.test.ts: ${CHROMIUM} is missing; run \`bash scripts/system-deps.sh\` (apt-get install chromium)`,
  );
}
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

describe.skipIf(!hasChromium)('dashboard in a browser', () => {
  const ups: Upstream[] = [];
  let mesh: Mesh;
  let browser: Browser;
  let url: string;
  let load: Load | undefined;

  beforeAll(async () => {
    ups.push(await startUpstream('p1'), await startUpstream('p2'), await startUpstream('inv'));
    mesh = await createMesh({
      logger: recordingLogger(),
      config: {
        service: 'checkout',
        discovery: [
          { static: { payments: [ups[0]?.address as string, ups[1]?.address as string], inventory: [ups[2]?.address as string] } },
        ],
        services: { payments: {}, inventory: {} },
      },
    });
    url = `${(await mesh.admin.listen({ port: 0 })).url}/dashboard`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await load?.stop();
    await browser?.close();
    await mesh?.close();
    for (const u of ups) await u.stop();
  });

  it('shows the services, and the numbers move with traffic', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(url);
    await page.getByTestId('node-payments').waitFor();
    await expect(page.locator('#service').textContent()).resolves.toBe('checkout');
    expect(await page.getByTestId('node-inventory').count()).toBe(1);
    expect(await page.getByTestId('rps-payments').textContent()).toBe('0.0');

    load = startLoad(async () => {
      const target = Math.random() < 0.7 ? 'payments' : 'inventory';
      const res = await request(`http://${target}/x`, { dispatcher: mesh.dispatcher });
      await res.body.dump();
      return target;
    }, 2);
    // The page refreshes every second; the last complete second must show traffic.
    // (A string: it runs in the page, where `document` exists.)
    await page.waitForFunction('Number(document.querySelector(\'[data-testid="rps-payments"]\')?.textContent) > 0', undefined, {
      timeout: 10_000,
    });
    expect(Number(await page.getByTestId('rps-inventory').textContent())).toBeGreaterThan(0);
    // Endpoint dots, coloured by state.
    expect(await page.locator('[data-testid="node-payments"] circle[data-state="healthy"]').count()).toBe(2);

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });
    await page.close();
  });
});
