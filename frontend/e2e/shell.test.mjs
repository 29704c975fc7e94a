// Browser tests of the app shell against the real `threadline serve`.
// Run with `npm run e2e` after building the binary (see harness.mjs for how it
// is found). Set THREADLINE_E2E_REQUIRE=1 to fail instead of skip when the
// binary or Chromium is missing.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureScreenshotDir, missingPrerequisite, openBrowser, startServer } from './harness.mjs';

const missing = missingPrerequisite();
if (missing && process.env.THREADLINE_E2E_REQUIRE) throw new Error(missing);

const pages = [
  { label: 'Board', hash: '#/board' },
  { label: 'Leads', hash: '#/leads' },
  { label: 'Inbox', hash: '#/inbox' },
  { label: 'Follow-ups', hash: '#/follow-ups' },
  { label: 'Analytics', hash: '#/analytics' },
  { label: 'Settings', hash: '#/settings' },
];

const WAIT = { timeout: 15_000 };

describe('app shell', { skip: missing ?? false }, () => {
  /** @type {import('./harness.mjs').Server} */
  let server;
  /** @type {import('playwright-core').Browser} */
  let browser;
  /** @type {import('playwright-core').BrowserContext} */
  let context;
  /** @type {import('playwright-core').Page} */
  let page;
  /** @type {string[]} */
  const pageErrors = [];

  /** @param {import('playwright-core').Page} p */
  const headingText = (p) => p.locator('main h1').innerText();

  /** @param {import('playwright-core').Page} p @param {string} text */
  const waitForHeading = (p, text) =>
    p.waitForFunction((t) => document.querySelector('main h1')?.textContent?.trim() === t, text, WAIT);

  /**
   * Full page load (not just a hash change), so focus and state start fresh.
   * @param {string} hash
   */
  const load = async (hash) => {
    await page.goto('about:blank');
    await page.goto(`${server.baseURL}/${hash}`);
  };

  before(async () => {
    server = await startServer();
    ({ browser, context, page } = await openBrowser(server, { viewport: { width: 1280, height: 800 }, pageErrors }));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('renders the navigation and the Board by default', async () => {
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.waitFor({ state: 'visible', ...WAIT });
    await waitForHeading(page, 'Board');
    assert.equal(await nav.getByRole('link').count(), pages.length);
    assert.equal(new URL(page.url()).hash, '#/board');
    assert.equal(await nav.getByRole('link', { name: 'Board' }).getAttribute('aria-current'), 'page');
    // Empty state, not fake data.
    await page.getByText('No leads yet').waitFor(WAIT);
  });

  test('shows "Connected" once health and the event stream are up', async () => {
    const status = page.getByTestId('connection-status');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="connection-status"]')?.textContent?.trim() === 'Connected',
      undefined,
      WAIT,
    );
    assert.equal((await status.innerText()).trim(), 'Connected');
    const version = page.getByTestId('app-version');
    await version.waitFor(WAIT);
    assert.match(await version.innerText(), /^v\d+\.\d+\.\d+/);
  });

  test('the backend saw the UI reach the API and receive push events', async () => {
    // The desktop smoke test relies on these log lines; check them in a browser too.
    const deadline = Date.now() + WAIT.timeout;
    const wanted = [/frontend reached \/api\/health/, /events=received/, /frontend opened the event stream/];
    while (Date.now() < deadline && !wanted.every((re) => re.test(server.output()))) {
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const re of wanted) assert.match(server.output(), re);
  });

  test('every nav item shows its page and marks itself current', async () => {
    const nav = page.getByRole('navigation', { name: 'Main' });
    // Visit in reverse so the first click really changes the page.
    for (const { label, hash } of [...pages].reverse()) {
      await nav.getByRole('link', { name: label, exact: true }).click();
      await waitForHeading(page, label);
      assert.equal(await headingText(page), label);
      assert.equal(new URL(page.url()).hash, hash);
      const current = await nav.locator('a[aria-current="page"]').allInnerTexts();
      assert.deepEqual(
        current.map((t) => t.trim()),
        [label],
        `only ${label} should be aria-current`,
      );
      assert.equal(await page.title(), `${label} · Threadline`);
    }
  });

  test('deep links open their page and unknown hashes fall back to the Board', async () => {
    await load('#/inbox');
    await waitForHeading(page, 'Inbox');
    await page.getByText('Connect an account in Settings to see your mail here.').waitFor(WAIT);
    await load('#/no-such-page');
    await waitForHeading(page, 'Board');
    assert.equal(new URL(page.url()).hash, '#/board');
    // Also when the hash changes while the app is already running.
    await page.evaluate(() => {
      location.hash = '#/leads';
    });
    await waitForHeading(page, 'Leads');
    await page.evaluate(() => {
      location.hash = '#/bogus';
    });
    await waitForHeading(page, 'Board');
    assert.equal(new URL(page.url()).hash, '#/board');
  });

  test('keyboard Tab reaches the skip link, the global search, then every nav link in order', async () => {
    await load('#/board');
    await waitForHeading(page, 'Board');
    /** @type {string[]} */
    const focused = [];
    for (let i = 0; i < pages.length + 2; i++) {
      await page.keyboard.press('Tab');
      focused.push(
        await page.evaluate(() =>
          document.activeElement?.id === 'global-search' ? '#global-search' : (document.activeElement?.textContent?.trim() ?? ''),
        ),
      );
    }
    assert.deepEqual(focused, ['Skip to content', '#global-search', ...pages.map((p) => p.label)]);

    // Keyboard activation moves focus to the new page heading.
    await page.keyboard.press('Enter');
    await waitForHeading(page, 'Settings');
    await page.waitForFunction(() => document.activeElement?.id === 'page-title', undefined, WAIT);
  });

  test('skip link jumps to the content without changing the page', async () => {
    await load('#/leads');
    await waitForHeading(page, 'Leads');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main-content');
    assert.equal(new URL(page.url()).hash, '#/leads');
    assert.equal(await headingText(page), 'Leads');
  });

  test('saves screenshots of the shell (light and dark)', async () => {
    const dir = ensureScreenshotDir();
    await load('#/board');
    await waitForHeading(page, 'Board');
    await page.waitForFunction(
      () => document.querySelector('[data-testid="connection-status"]')?.textContent?.trim() === 'Connected',
      undefined,
      WAIT,
    );
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(dir, 'shell.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    // Let hover/colour transitions settle so the picture shows the final theme.
    await page.waitForTimeout(400);
    await page.screenshot({ path: join(dir, 'shell-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('the page raised no uncaught errors', () => {
    assert.deepEqual(pageErrors, []);
  });

  test('the API refuses a browser without a session or token', async () => {
    const fresh = await browser.newContext();
    try {
      const p = await fresh.newPage();
      const res = await p.goto(`${server.baseURL}/api/health`);
      assert.ok(res, 'expected a response');
      assert.equal(res.status(), 401);
    } finally {
      await fresh.close();
    }
  });

  test('the API accepts the bearer token', async () => {
    const res = await fetch(`${server.baseURL}/api/health`, {
      headers: { Authorization: `Bearer ${server.token}` },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  // Must stay last: it stops the server.
  test('shows "Offline" when the backend goes away', async () => {
    await load('#/board');
    const statusIs = (/** @type {string} */ text) =>
      page.waitForFunction(
        (t) => document.querySelector('[data-testid="connection-status"]')?.textContent?.trim() === t,
        text,
        WAIT,
      );
    await statusIs('Connected');
    await server.stop();
    await statusIs('Offline');
  });
});
