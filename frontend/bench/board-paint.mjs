// Benchmark (not a test): time to the first card painted on a board of
// 10,000 leads, in headless Chromium against the real `threadline serve`.
//
//   node bench/board-paint.mjs [--leads 10000] [--runs 5]
//
// The API has no bulk create, so leads are seeded with parallel POSTs. The
// time is measured in the page: from navigation start to the animation
// frame after the first card entered the DOM (a frame after insertion is
// when it is painted).

import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { chromiumArgs, chromiumPath, missingPrerequisite, startServer } from '../e2e/harness.mjs';
import { call, defaultPipeline, seedLeads } from '../e2e/seed.mjs';

const { values } = parseArgs({
  options: { leads: { type: 'string', default: '10000' }, runs: { type: 'string', default: '5' } },
});
const N = Number(values.leads);
const RUNS = Number(values.runs);

const missing = missingPrerequisite();
if (missing) {
  console.error(missing);
  process.exit(1);
}

const server = await startServer();
try {
  const pipeline = await defaultPipeline(server);
  const open = pipeline.stages.filter((/** @type {any} */ s) => s.kind === 'open').map((/** @type {any} */ s) => s.id);
  let t = performance.now();
  await seedLeads(server, N, { concurrency: 32, extra: (i) => ({ stage_id: open[i % open.length] }) });
  const seedMs = performance.now() - t;
  console.log(`seeded ${N} leads in ${(seedMs / 1000).toFixed(1)} s (${Math.round(N / (seedMs / 1000))} leads/s)`);

  t = performance.now();
  const board = await call(server, 'GET', `/api/pipelines/${pipeline.id}/board?limit=25`);
  console.log(
    `GET /board: ${(performance.now() - t).toFixed(0)} ms, columns ${board.columns.map((/** @type {any} */ c) => `${c.stage.id}=${c.count}`).join(' ')}`,
  );

  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.addInitScript(() => {
    // Record when the first card is in the DOM and the frame after it.
    const w = /** @type {any} */ (window);
    const obs = new MutationObserver(() => {
      if (w.__firstCard || !document.querySelector('[data-testid="card"]')) return;
      w.__firstCard = performance.now();
      obs.disconnect();
      requestAnimationFrame(() => requestAnimationFrame(() => (w.__firstPaint = performance.now())));
    });
    obs.observe(document, { childList: true, subtree: true });
  });
  const page = await context.newPage();
  await page.goto(server.url);
  await page.waitForURL((u) => u.pathname === '/');
  /** @type {number[]} */
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    await page.goto('about:blank');
    await page.goto(`${server.baseURL}/#/board`);
    await page.waitForFunction(() => /** @type {any} */ (window).__firstPaint, undefined, { timeout: 60_000 });
    const r = await page.evaluate(() => ({
      dom: /** @type {any} */ (window).__firstCard,
      paint: /** @type {any} */ (window).__firstPaint,
      cards: document.querySelectorAll('[data-testid="card"]').length,
      total: document.querySelector('[data-testid="board-total"]')?.textContent?.replace(/\s+/g, ' ').trim(),
    }));
    times.push(r.paint);
    console.log(`run ${i + 1}: first card in DOM ${r.dom.toFixed(0)} ms, painted ${r.paint.toFixed(0)} ms; ${r.cards} cards rendered of ${r.total}`);
  }
  // Scrolling a column to its end loads the next page.
  await page.locator('[data-testid="column"]').first().locator('ul').evaluate((el) => el.scrollTo(0, el.scrollHeight));
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="column"]')[0]?.querySelectorAll('[data-testid="card"]').length > 25, undefined, { timeout: 10_000 });
  console.log('scrolling the first column loaded its next page');
  // A pushed change refreshes the board without collapsing that column.
  const loaded = await page.locator('[data-testid="column"]').first().locator('[data-testid="card"]').count();
  const last = board.columns[1].cards[0];
  await call(server, 'POST', `/api/leads/${last.id}/move`, { stage_id: board.columns[2].stage.id });
  await page.waitForFunction((id) => document.querySelector(`[data-testid="column"]:nth-of-type(3) [data-card-id="${id}"]`), last.id, { timeout: 10_000 });
  const after = await page.locator('[data-testid="column"]').first().locator('[data-testid="card"]').count();
  console.log(`after a pushed move the first column still shows ${after} of the ${loaded} cards it had loaded`);
  times.sort((a, b) => a - b);
  console.log(`first card painted, median of ${RUNS}: ${times[Math.floor(times.length / 2)]?.toFixed(0)} ms (min ${times[0]?.toFixed(0)}, max ${times.at(-1)?.toFixed(0)})`);
  await browser.close();
} finally {
  await server.stop();
}
